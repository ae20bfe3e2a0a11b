"""Everything that talks to Kubernetes: the :class:`~.base.Cluster` seam, its real
client and in-memory fake, install records, and all-or-nothing transactions."""
