"""OCI registries and the Tekton bundles kept in them.

- :mod:`.registry`: the registry edge, knowing nothing of Tekton: references,
  the plain-HTTP rule, oras-py with bounded retries, and manifests and blobs
  fetched as streams under size caps;
- :mod:`.bundle`: the Tekton bundle format on top of it: one resource per layer,
  the ``dev.tekton.image.*`` annotations, ``publish``, ``pull`` and the rewriting
  of Pipelines to the bundles resolver.

A bundle seen as a catalog is :func:`catalog_cli.sources.bundle.open_bundle`.
"""
