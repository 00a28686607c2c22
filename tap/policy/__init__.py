"""CrossGuard policy pack: pure rules (rules.py) and their pulumi-policy adapters (pack.py)."""
