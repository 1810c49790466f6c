"""Deep dives: customer journeys, unit costs, high-cost cohorts and provision maps."""
