"""The shared public estate: the buildings of every agency in the place, where they could share,
what that would save, and who needs space that another has spare."""
