"""Signing and verifying what a catalog publishes, in formats others already check.

- :mod:`.keys`: ECDSA P-256 key pairs, the PEM forms cosign reads and writes, key ids;
- :mod:`.index_sig`: the detached signature of an ``index.yaml`` (``index.yaml.sig``),
  with an expiry and a serial against rollback and freeze attacks;
- :mod:`.cosign`: cosign's key-based "simple signing" of an OCI manifest digest;
- :mod:`.tekton`: the ``tekton.dev/signature`` annotation Tekton Pipelines' Trusted
  Resources verifies, over the object as Tekton serialises it (:mod:`.gojson`,
  :mod:`.tekton_types`); :mod:`.tekton_file` puts it into a YAML file in place;
- :mod:`.policy`: a Tekton VerificationPolicy for a set of public keys.

Nothing here reads the environment, prints, or touches the network: the CLI hands in
keys and passphrases, the verbs hand in bytes. Every refusal is a
:class:`~catalog_cli.errors.SignatureError` (exit 9) with a ``reason``; a key that
cannot be read is an :class:`~catalog_cli.errors.InputError`. No message, repr or
exception ever holds private key material.
"""
