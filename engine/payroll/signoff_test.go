package payroll

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/rubric-dev/rubric/engine/internal/testkit"
)

// armorSSHSig armors an SSH signature blob as ssh-keygen writes it
// (tests sign with it).
func armorSSHSig(key ssh.PublicKey, namespace, hash string, sig *ssh.Signature) []byte {
	blob := []byte(sshsigMagic)
	blob = binary.BigEndian.AppendUint32(blob, 1)
	blob = append(blob, ssh.Marshal(struct {
		PublicKey []byte
		Namespace string
		Reserved  string
		Hash      string
		Signature []byte
	}{key.Marshal(), namespace, "", hash, ssh.Marshal(sig)})...)
	enc := base64.StdEncoding.EncodeToString(blob)
	var b strings.Builder
	b.WriteString("-----BEGIN SSH SIGNATURE-----\n")
	for len(enc) > 70 {
		b.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	b.WriteString(enc + "\n-----END SSH SIGNATURE-----\n")
	return []byte(b.String())
}

// signManifest signs dir's manifest.json as ssh-keygen -Y sign does.
func signManifest(t *testing.T, dir string, priv ed25519.PrivateKey, namespace string) {
	t.Helper()
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := os.ReadFile(filepath.Join(dir, manifestFile))
	h := sha256.Sum256(m)
	sig, err := signer.Sign(rand.Reader, sshsigSignedData(namespace, "sha256", h[:]))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, signatureFile), armorSSHSig(signer.PublicKey(), namespace, "sha256", sig), 0o644)
}

func newKey(t *testing.T) (ed25519.PrivateKey, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := ssh.NewPublicKey(pub)
	return priv, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
}

// TestSignOff: a manifest signed by an allowed key verifies and names its
// signer; a changed manifest, a signer not listed, another namespace, a
// namespaces= option without rubric-payroll and a missing signature fail.
func TestSignOff(t *testing.T) {
	p := correctionTestPolicy(t, correctionPolicy)
	dir := filepath.Join(t.TempDir(), "2026-10")
	export(t, p, testkit.WriteFile(t, "oct.csv", "subject,period,sales,pay\nA,2026-10,1,1000\n"), dir, Options{})
	alice, aliceKey := newKey(t)
	mallory, _ := newKey(t)
	signers := testkit.WriteFile(t, "allowed_signers", "# approvers\nalice@example.com namespaces=\"rubric-payroll,file\" "+aliceKey+" alice\n")
	if _, err := VerifySignOff(dir, signers); err == nil || !strings.Contains(err.Error(), "not signed off") {
		t.Errorf("unsigned: %v", err)
	}
	signManifest(t, dir, alice, SignatureNamespace)
	so, err := VerifySignOff(dir, signers)
	if err != nil || so.Principal != "alice@example.com" || !strings.HasPrefix(so.Fingerprint, "SHA256:") {
		t.Fatalf("signed by alice: %+v %v", so, err)
	}
	if probs, err := Verify(dir); err != nil || len(probs) > 0 {
		t.Errorf("a signed export does not verify: %v %v", err, probs)
	}
	m, _ := os.ReadFile(filepath.Join(dir, manifestFile))
	os.WriteFile(filepath.Join(dir, manifestFile), append(m, ' '), 0o644)
	if _, err := VerifySignOff(dir, signers); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Errorf("changed manifest: %v", err)
	}
	os.WriteFile(filepath.Join(dir, manifestFile), m, 0o644)
	signManifest(t, dir, mallory, SignatureNamespace)
	if _, err := VerifySignOff(dir, signers); err == nil || !strings.Contains(err.Error(), "does not list") {
		t.Errorf("mallory: %v", err)
	}
	signManifest(t, dir, alice, "file")
	if _, err := VerifySignOff(dir, signers); err == nil || !strings.Contains(err.Error(), "namespace") {
		t.Errorf("another namespace: %v", err)
	}
	signManifest(t, dir, alice, SignatureNamespace)
	other := testkit.WriteFile(t, "allowed_signers", "alice@example.com namespaces=\"git\" "+aliceKey+"\n")
	if _, err := VerifySignOff(dir, other); err == nil {
		t.Error("a key allowed only for git signed payroll")
	}
}

// TestSignOffAgainstSSHKeygen holds the verifier to OpenSSH: what
// ssh-keygen -Y sign writes verifies here, and what a test signs here
// verifies with ssh-keygen -Y verify (skipped without ssh-keygen).
func TestSignOffAgainstSSHKeygen(t *testing.T) {
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skip("no ssh-keygen")
	}
	p := correctionTestPolicy(t, correctionPolicy)
	dir := filepath.Join(t.TempDir(), "2026-10")
	export(t, p, testkit.WriteFile(t, "oct.csv", "subject,period,sales,pay\nA,2026-10,1,1000\n"), dir, Options{})
	priv, pubLine := newKey(t)
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600)
	signers := testkit.WriteFile(t, "allowed_signers", "payroll@example.com "+pubLine+"\n")
	manifest := filepath.Join(dir, manifestFile)
	if out, err := exec.Command(keygen, "-Y", "sign", "-f", keyFile, "-n", SignatureNamespace, manifest).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	if so, err := VerifySignOff(dir, signers); err != nil || so.Principal != "payroll@example.com" {
		t.Fatalf("ssh-keygen's signature: %+v %v", so, err)
	}
	signManifest(t, dir, priv, SignatureNamespace)
	cmd := exec.Command(keygen, "-Y", "verify", "-f", signers, "-I", "payroll@example.com", "-n", SignatureNamespace, "-s", filepath.Join(dir, signatureFile))
	m, _ := os.Open(manifest)
	defer m.Close()
	cmd.Stdin = m
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y verify of rubric's signature: %v\n%s", err, out)
	}
}
