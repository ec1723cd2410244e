"""Charts and the stakeholder summary built from the outputs of the other pipelines."""
