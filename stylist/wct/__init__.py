"""Universal style transfer via feature transforms (Li et al. 2017)."""
