"""Inspector's domain core. Never imports Qt: it runs and is tested headless."""
