"""Development tools: the sample-shop generator (`python -m tools.sample_shop`). Not part of the runtime package."""
