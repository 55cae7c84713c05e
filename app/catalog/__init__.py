"""The resource catalog (目录, 办法§6–§8) and data services (§11)."""
