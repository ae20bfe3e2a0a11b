"""catalog: a package manager for Tekton."""

__version__ = "0.1.0"

# The one annotation/label prefix the project owns. Everything the tool adds to
# a resource or an installed object lives under it.
PREFIX = "catalog.dev"
