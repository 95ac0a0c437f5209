//! The Cloudflare Worker glue (to be written).
