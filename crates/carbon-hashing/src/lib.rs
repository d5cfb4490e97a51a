//! carbon's consistent-hash rings, as carbon 1.1.10 (`carbon/hashing.py`) and graphite-web
//! 1.1.10 (`graphite/render/hashing.py`) build them: which cache (or relay destination) owns
//! a metric.
