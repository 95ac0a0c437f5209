//! The Cloudflare Worker glue. A stub that proves the build pipeline; it will be replaced.
use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::ok("portcullis")
}
