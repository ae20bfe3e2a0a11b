"""``catalog site``: a static website for a catalog, to serve beside its index.yaml.

``plan`` reads the catalog once (entries, who needs whom, the files each page shows),
``markdown`` turns a README into sanitised HTML, ``page`` makes one version's page,
``build`` writes the whole site (in worker processes for big catalogs) with its
search index and assets. Nothing from an entry reaches a page unescaped: Jinja2
escapes every value, README HTML passes nh3's allow-list, pictures pass ``graph.svgsafe``.
"""
