"""Developer tools: the offline preview and what it builds on."""
