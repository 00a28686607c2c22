"""Reusable ComponentResources, one module per AWS concern. None of them reads pulumi.Config."""
