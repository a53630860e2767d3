"""Parameter initialisation (ember.nn.init)."""
