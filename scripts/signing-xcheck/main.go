// catalog-xcheck: what Go itself writes for the bytes catalog signs, so that the
// Python code can be compared with it (scripts/signing-xcheck.sh builds and runs it;
// tests/test_signing_go_xcheck.py reads what it wrote).
//
// It is built inside the Kubernetes 1.20 source tree (Debian's, as scripts/localkube.sh
// fetches it), offline, with that tree's vendored k8s.io/api, k8s.io/apimachinery
// and sigs.k8s.io/yaml, plus golang.org/x/crypto/scrypt from Debian. Tekton's own
// structs come from catalog's table (types_gen.go); their defaults, ParamValue and
// the cosign and key formats are written here from the facts in docs/signing.md.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/ioutil"
	"os"
	goruntime "runtime"
	"strings"
	"time"

	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// ParamValue reads and writes as Tekton's: an array or object when the JSON is one
// (of strings), else a string, else the raw JSON text.
type ParamValue struct {
	Type      string
	StringVal string
	ArrayVal  []string
	ObjectVal map[string]string
}

func (p *ParamValue) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		p.Type = "string"
		return nil
	}
	if b[0] == '[' {
		var a []string
		if json.Unmarshal(b, &a) == nil {
			p.Type, p.ArrayVal = "array", a
			return nil
		}
	}
	if b[0] == '{' {
		var m map[string]string
		if json.Unmarshal(b, &m) == nil {
			p.Type, p.ObjectVal = "object", m
			return nil
		}
	}
	p.Type = "string"
	if json.Unmarshal(b, &p.StringVal) != nil {
		p.StringVal = string(b)
	}
	return nil
}

func (p ParamValue) MarshalJSON() ([]byte, error) {
	switch p.Type {
	case "string":
		return json.Marshal(p.StringVal)
	case "array":
		return json.Marshal(p.ArrayVal)
	case "object":
		return json.Marshal(p.ObjectVal)
	}
	return nil, fmt.Errorf("impossible ParamValue type %q", p.Type)
}

type Task struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              TaskSpec `json:"spec"`
}

type Pipeline struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              PipelineSpec `json:"spec"`
}

func propertyDefaults(props map[string]PropertySpec) {
	for k, v := range props {
		if v.Type == "" {
			props[k] = PropertySpec{Type: "string"}
		}
	}
}

func paramDefaults(ps []ParamSpec) {
	for i := range ps {
		p := &ps[i]
		switch {
		case p.Type != "":
		case p.Properties != nil:
			p.Type = "object"
		case p.Default == nil:
			p.Type = "string"
		default:
			p.Type = p.Default.Type
		}
		if p.Type != "" {
			propertyDefaults(p.Properties)
		}
	}
}

func taskSpecDefaults(ts *TaskSpec) {
	paramDefaults(ts.Params)
	for i := range ts.Results {
		r := &ts.Results[i]
		if r.Type == "" {
			if r.Properties != nil {
				r.Type = "object"
			} else {
				r.Type = "string"
			}
		}
		propertyDefaults(r.Properties)
	}
}

func pipelineSpecDefaults(ps *PipelineSpec) {
	paramDefaults(ps.Params)
	for _, tasks := range [][]PipelineTask{ps.Tasks, ps.Finally} {
		for i := range tasks {
			pt := &tasks[i]
			if pt.TaskRef != nil && pt.TaskRef.Kind == "" && pt.TaskRef.Resolver == "" {
				pt.TaskRef.Kind = "Task"
			}
			if pt.TaskSpec != nil {
				taskSpecDefaults(&pt.TaskSpec.TaskSpec)
			}
		}
	}
}

func prepareMeta(in metav1.ObjectMeta) metav1.ObjectMeta {
	out := metav1.ObjectMeta{Name: in.Name, GenerateName: in.GenerateName, Namespace: in.Namespace}
	if in.Labels != nil {
		out.Labels = map[string]string{}
		for k, v := range in.Labels {
			out.Labels[k] = v
		}
	}
	out.Annotations = map[string]string{}
	for k, v := range in.Annotations {
		out.Annotations[k] = v
	}
	for _, k := range []string{"kubectl-client-side-apply", "kubectl.kubernetes.io/last-applied-configuration", "tekton.dev/signature"} {
		delete(out.Annotations, k)
	}
	return out
}

func canonical(doc []byte) ([]byte, error) {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(j, &head); err != nil {
		return nil, err
	}
	switch head.Kind {
	case "Task":
		var t Task
		if err := json.Unmarshal(j, &t); err != nil {
			return nil, err
		}
		taskSpecDefaults(&t.Spec)
		return json.Marshal(Task{TypeMeta: metav1.TypeMeta{Kind: "Task", APIVersion: "tekton.dev/v1"}, ObjectMeta: prepareMeta(t.ObjectMeta), Spec: t.Spec})
	case "Pipeline":
		var p Pipeline
		if err := json.Unmarshal(j, &p); err != nil {
			return nil, err
		}
		pipelineSpecDefaults(&p.Spec)
		return json.Marshal(Pipeline{TypeMeta: metav1.TypeMeta{Kind: "Pipeline", APIVersion: "tekton.dev/v1"}, ObjectMeta: prepareMeta(p.ObjectMeta), Spec: p.Spec})
	}
	return nil, fmt.Errorf("not a Task or Pipeline: %q", head.Kind)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "catalog-xcheck:", err)
		os.Exit(1)
	}
}

func pubPEM(k *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	must(err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Sign as sigstore's ECDSA signer does: SHA-256 of the message, ASN.1 signature.
func sign(k *ecdsa.PrivateKey, message []byte) string {
	digest := sha256.Sum256(message)
	sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
	must(err)
	return base64.StdEncoding.EncodeToString(sig)
}

// cosign's encrypted private key: go-securesystemslib's JSON around scrypt and secretbox.
func cosignKey(k *ecdsa.PrivateKey, pass []byte) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	must(err)
	salt, nonce := make([]byte, 32), [24]byte{}
	_, err = rand.Read(salt)
	must(err)
	_, err = rand.Read(nonce[:])
	must(err)
	key, err := scrypt.Key(pass, salt, 65536, 8, 1, 32)
	must(err)
	var box [32]byte
	copy(box[:], key)
	type params struct {
		N int `json:"N"`
		R int `json:"r"`
		P int `json:"p"`
	}
	type kdf struct {
		Name   string `json:"name"`
		Params params `json:"params"`
		Salt   []byte `json:"salt"`
	}
	type cipher struct {
		Name  string `json:"name"`
		Nonce []byte `json:"nonce"`
	}
	body, err := json.Marshal(struct {
		KDF        kdf    `json:"kdf"`
		Cipher     cipher `json:"cipher"`
		Ciphertext []byte `json:"ciphertext"`
	}{kdf{"scrypt", params{65536, 8, 1}, salt}, cipher{"nacl/secretbox", nonce[:]}, secretbox.Seal(nil, der, &nonce, &box)})
	must(err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: body}))
}

type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]interface{} `json:"optional"`
}

func main() {
	if len(os.Args) < 3 {
		must(fmt.Errorf("usage: catalog-xcheck INPUTS.json OUTPUT.json"))
	}
	var in struct {
		Tekton     map[string]string `json:"tekton"`
		Durations  []string          `json:"durations"`
		Quantities []string          `json:"quantities"`
		Strings    []string          `json:"strings"`
		Reference  string            `json:"reference"`
		Digest     string            `json:"digest"`
		Optional   map[string]interface{} `json:"optional"`
		Passphrase string            `json:"passphrase"`
	}
	raw, err := ioutil.ReadFile(os.Args[1])
	must(err)
	must(json.Unmarshal(raw, &in))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)

	out := map[string]interface{}{"go": strings.TrimPrefix(goruntime.Version(), "go"), "publicKey": pubPEM(key)}
	tekton := map[string]interface{}{}
	for name, doc := range in.Tekton {
		canon, err := canonical([]byte(doc))
		if err != nil {
			tekton[name] = map[string]string{"error": err.Error()}
			continue
		}
		checksum := sha256.Sum256(canon)
		entry := map[string]string{"sha256": fmt.Sprintf("%x", checksum), "signature": sign(key, checksum[:]),
			"input": fmt.Sprintf("%x", sha256.Sum256([]byte(doc)))}
		if strings.HasPrefix(name, "data/") { // the full bytes only for catalog's own test documents
			entry["canonical"] = string(canon)
		}
		tekton[name] = entry
	}
	out["tekton"] = tekton

	durations := map[string]string{}
	for _, d := range in.Durations {
		v, err := time.ParseDuration(d)
		if err != nil {
			durations[d] = "error"
		} else {
			durations[d] = v.String()
		}
	}
	out["durations"] = durations

	quantities := map[string]string{}
	for _, q := range in.Quantities {
		v, err := resource.ParseQuantity(q)
		if err != nil {
			quantities[q] = "error"
			continue
		}
		b, err := json.Marshal(v)
		must(err)
		quantities[q] = string(b)
	}
	out["quantities"] = quantities

	strs := map[string]string{}
	for _, s := range in.Strings {
		b, err := json.Marshal(s)
		must(err)
		strs[s] = string(b)
	}
	out["strings"] = strs

	var payload simpleSigning
	payload.Critical.Identity.DockerReference = in.Reference
	payload.Critical.Image.DockerManifestDigest = in.Digest
	payload.Critical.Type = "cosign container image signature"
	plain, err := json.Marshal(payload)
	must(err)
	payload.Optional = in.Optional
	annotated, err := json.Marshal(payload)
	must(err)
	out["cosign"] = map[string]string{
		"payload": string(plain), "signature": sign(key, plain),
		"annotatedPayload": string(annotated),
		"privateKey":       cosignKey(key, []byte(in.Passphrase)),
	}
	result, err := json.MarshalIndent(out, "", "  ")
	must(err)
	must(ioutil.WriteFile(os.Args[2], append(result, '\n'), 0o644))
}
