"""What every form kind shares: values, the model, layouts, configuration, the rule catalogue."""
