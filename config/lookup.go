package config

// Distribution returns the distribution with this id, or nil. The result points into c, so
// changes to it change c. Safe on a nil Config.
func (c *Config) Distribution(id string) *Distribution {
	if c == nil {
		return nil
	}
	for i := range c.Distributions {
		if c.Distributions[i].ID == id {
			return &c.Distributions[i]
		}
	}
	return nil
}

// OriginByID returns the origin with this id (not an origin group) and true, or nil and
// false. The result points into d. Safe on a nil Distribution.
func (d *Distribution) OriginByID(id string) (*Origin, bool) {
	if d == nil {
		return nil, false
	}
	for i := range d.Origins {
		if d.Origins[i].ID == id {
			return &d.Origins[i], true
		}
	}
	return nil, false
}

// OriginGroupByID returns the origin group with this id and true, or nil and false. The
// result points into d. Safe on a nil Distribution.
func (d *Distribution) OriginGroupByID(id string) (*OriginGroup, bool) {
	if d == nil {
		return nil, false
	}
	for i := range d.OriginGroups {
		if d.OriginGroups[i].ID == id {
			return &d.OriginGroups[i], true
		}
	}
	return nil, false
}
