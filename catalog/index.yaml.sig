{
  "schema": "catalog.dev/index-signature/v1",
  "index": {
    "sha256": "290e4d49288c12ef88cc0ac207ab955c5ea6930316b3fe808161bad6132459dc",
    "size": 30915
  },
  "serial": 2,
  "signedAt": "2026-11-29T12:17:01Z",
  "expires": "2028-11-28T12:17:01Z",
  "signatures": [
    {
      "keyid": "sha256:13796357178832d8e01dadb36d7112581ae284bb47846e10b1f670eee7ec600e",
      "sig": "MEYCIQCcYJQxyacTcT5O8pvsZfqIrfOuHdzRkOwkJJNvaY5MfAIhAKEght25baScQcVpxzNEZhW81qJZ+IKzmnFp748fLaZl"
    }
  ]
}
