"""CrossGuard policy pack: pure rules (rules/) and their pulumi-policy adapters (pack.py)."""
