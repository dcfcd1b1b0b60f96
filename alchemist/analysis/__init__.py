"""Read-outs of a trained model for the user: when to stop, which variables matter."""
