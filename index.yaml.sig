{
  "schema": "catalog.dev/index-signature/v1",
  "index": {
    "sha256": "e70127b0067612187b750f3a86a18ed7e78f58db9e9c15c733d868232ec33162",
    "size": 31886
  },
  "serial": 1,
  "signedAt": "2026-11-29T12:03:30Z",
  "expires": "2028-11-28T12:03:30Z",
  "signatures": [
    {
      "keyid": "sha256:13796357178832d8e01dadb36d7112581ae284bb47846e10b1f670eee7ec600e",
      "sig": "MEYCIQDMAm/s5UACjA4/KiW0lVEMA/qJBUcYNjfiTStMJL535gIhAJ3lwBnlObIFOtIIw6zPXf3n44hqypBBqlAzlZh1J7AV"
    }
  ]
}
