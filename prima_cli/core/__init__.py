"""Use cases: plain Python over the store and the adapters; they return result values."""
