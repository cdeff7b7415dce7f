package payroll

// Sign-off: an SSH signature of manifest.json (SPEC §12), made with
// ssh-keygen -Y sign -n rubric-payroll and checked here as
// ssh-keygen -Y verify would check it.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

const (
	// signatureFile is the sign-off beside the manifest.
	signatureFile = "manifest.json.sig"
	// SignatureNamespace is the namespace a sign-off is made in.
	SignatureNamespace = "rubric-payroll"
)

// SignOff is who signed an export's manifest.
type SignOff struct {
	Principal   string // as the allowed signers file names them
	KeyType     string
	Fingerprint string // SHA256:…
}

// HasSignOff reports whether the export in dir carries a signature.
func HasSignOff(dir string) bool {
	fi, err := os.Lstat(filepath.Join(dir, signatureFile))
	return err == nil && fi.Mode().IsRegular()
}

// VerifySignOff checks dir's manifest.json.sig: an SSH signature of
// manifest.json in the rubric-payroll namespace, by a key the allowed
// signers file (ssh-keygen's format: principals [options] key) lists for
// that namespace. It fails when the signature is absent, malformed, made
// over other bytes or in another namespace, or by a key not listed.
func VerifySignOff(dir, allowedSigners string) (*SignOff, error) {
	sigText, err := os.ReadFile(filepath.Join(dir, signatureFile))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%s has no %s: the export was not signed off", dir, signatureFile)
	} else if err != nil {
		return nil, err
	}
	manifest, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, err
	}
	signers, err := readAllowedSigners(allowedSigners)
	if err != nil {
		return nil, err
	}
	sig, err := parseSSHSig(sigText)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", signatureFile, err)
	}
	if sig.namespace != SignatureNamespace {
		return nil, fmt.Errorf("%s: signed in the namespace %q, not %q", signatureFile, sig.namespace, SignatureNamespace)
	}
	var h []byte
	switch sig.hash {
	case "sha256":
		s := sha256.Sum256(manifest)
		h = s[:]
	case "sha512":
		s := sha512.Sum512(manifest)
		h = s[:]
	default:
		return nil, fmt.Errorf("%s: unknown hash algorithm %q", signatureFile, sig.hash)
	}
	signed := sshsigSignedData(sig.namespace, sig.hash, h)
	if err := sig.key.Verify(signed, sig.sig); err != nil {
		return nil, fmt.Errorf("%s does not verify: the manifest was changed after it was signed, or the signature is not of it", signatureFile)
	}
	fp := ssh.FingerprintSHA256(sig.key)
	for _, s := range signers {
		if bytes.Equal(s.key.Marshal(), sig.key.Marshal()) && s.allows(SignatureNamespace) {
			return &SignOff{Principal: s.principals, KeyType: sig.key.Type(), Fingerprint: fp}, nil
		}
	}
	return nil, fmt.Errorf("%s is signed by %s %s, which %s does not list as allowed to sign %s", signatureFile, sig.key.Type(), fp, allowedSigners, SignatureNamespace)
}

// sshsig is a parsed SSH signature (OpenSSH's PROTOCOL.sshsig).
type sshsig struct {
	key             ssh.PublicKey
	namespace, hash string
	sig             *ssh.Signature
}

const sshsigMagic = "SSHSIG"

// parseSSHSig reads an armored SSH signature.
func parseSSHSig(text []byte) (*sshsig, error) {
	s := strings.TrimSpace(string(text))
	const begin, end = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----"
	if !strings.HasPrefix(s, begin) || !strings.HasSuffix(s, end) {
		return nil, errors.New("not an SSH signature (ssh-keygen -Y sign writes one)")
	}
	body := strings.Join(strings.Fields(s[len(begin):len(s)-len(end)]), "")
	blob, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("not an SSH signature: %v", err)
	}
	if !bytes.HasPrefix(blob, []byte(sshsigMagic)) {
		return nil, errors.New("not an SSH signature: no SSHSIG preamble")
	}
	var w struct {
		Version   uint32
		PublicKey []byte
		Namespace string
		Reserved  string
		Hash      string
		Signature []byte
	}
	if err := ssh.Unmarshal(blob[len(sshsigMagic):], &w); err != nil {
		return nil, fmt.Errorf("not an SSH signature: %v", err)
	}
	if w.Version != 1 {
		return nil, fmt.Errorf("SSH signature version %d (only 1 is known)", w.Version)
	}
	key, err := ssh.ParsePublicKey(w.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("the signature's public key: %v", err)
	}
	sig := new(ssh.Signature)
	if err := ssh.Unmarshal(w.Signature, sig); err != nil {
		return nil, fmt.Errorf("the signature: %v", err)
	}
	return &sshsig{key: key, namespace: w.Namespace, hash: w.Hash, sig: sig}, nil
}

// sshsigSignedData is what an SSH signature signs.
func sshsigSignedData(namespace, hash string, digest []byte) []byte {
	b := []byte(sshsigMagic)
	b = append(b, ssh.Marshal(struct {
		Namespace string
		Reserved  string
		Hash      string
		Digest    []byte
	}{namespace, "", hash, digest})...)
	return b
}

// allowedSigner is one line of an allowed signers file.
type allowedSigner struct {
	principals string
	key        ssh.PublicKey
	namespaces []string // from namespaces="…"; empty: any
}

func (s allowedSigner) allows(ns string) bool {
	if len(s.namespaces) == 0 {
		return true
	}
	for _, n := range s.namespaces {
		if n == ns {
			return true
		}
	}
	return false
}

// readAllowedSigners reads ssh-keygen's allowed signers format: per line,
// principals, options (namespaces="…" is honoured; cert-authority lines are
// refused: certificates are not checked here), then the key.
func readAllowedSigners(path string) ([]allowedSigner, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []allowedSigner
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		principals, rest, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("%s:%d: a line is: principals [options] key", path, n)
		}
		principals = strings.Trim(principals, `"`)
		key, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(rest)))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		s := allowedSigner{principals: principals, key: key}
		for _, o := range opts {
			name, val, _ := strings.Cut(o, "=")
			switch strings.ToLower(name) {
			case "namespaces":
				s.namespaces = strings.Split(strings.Trim(val, `"`), ",")
			case "cert-authority":
				return nil, fmt.Errorf("%s:%d: cert-authority keys are not supported; list the signer's own key", path, n)
			}
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no signer", path)
	}
	return out, nil
}
