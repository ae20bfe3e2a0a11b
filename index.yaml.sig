{
  "schema": "catalog.dev/index-signature/v1",
  "index": {
    "sha256": "dc420cfcfe92ff890e5110a22474dee75216f18dee6a354ce514f941757b529a",
    "size": 32027
  },
  "serial": 2,
  "signedAt": "2026-11-29T12:17:00Z",
  "expires": "2028-11-28T12:17:00Z",
  "signatures": [
    {
      "keyid": "sha256:13796357178832d8e01dadb36d7112581ae284bb47846e10b1f670eee7ec600e",
      "sig": "MEUCIQCKtenGIRgW6usF87veAQgLESfaBAgfXBOOvcCKuq4l1QIgTuOn2NZS4ejoY+rtmRhcySAhrXVzz5G9DSMnlVRBgMI="
    }
  ]
}
