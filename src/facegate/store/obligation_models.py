"""Tables added by a later feature (placeholder until it lands)."""
