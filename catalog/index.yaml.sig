{
  "schema": "catalog.dev/index-signature/v1",
  "index": {
    "sha256": "3f346afdababf7779c8d8da485f327caf77b17eb9e794baed938746ba35c9570",
    "size": 30782
  },
  "serial": 1,
  "signedAt": "2026-11-29T12:03:31Z",
  "expires": "2028-11-28T12:03:31Z",
  "signatures": [
    {
      "keyid": "sha256:13796357178832d8e01dadb36d7112581ae284bb47846e10b1f670eee7ec600e",
      "sig": "MEQCIFW8ay40f8Q02vLP8nxf8RPgFqZyEdfeN2dJzhuBSU/2AiB7pIHWzS3MYr9VhJS3kWc2KBrXzW0d0FDFq/mZj4L0Xw=="
    }
  ]
}
