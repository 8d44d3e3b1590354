"""Developer tools that are not part of the package or of CI (mutation testing)."""
