"""Settings: ``digest.yaml`` loaded once into a typed, validated, frozen ``Config``."""
