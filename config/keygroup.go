package config

// validateKeyGroups checks the [[key_group]] tables and the behaviors' trusted_key_groups.
func (c *Config) validateKeyGroups(e *errs) {}
