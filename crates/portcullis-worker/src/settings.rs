//! The Worker's settings: read from the bindings and checked once per isolate.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;
use worker::{
    js_sys,
    wasm_bindgen::{JsCast, JsValue},
    Env,
};

use portcullis::config::{self, ConfigError, GateConfig};

thread_local! {
    // Settings cannot change under a running isolate, so they are read and checked once.
    static CONFIG: RefCell<Option<Rc<Result<GateConfig, ConfigError>>>> = const { RefCell::new(None) };
}

/// A setting as JSON: strings as strings, structured vars as what they are.
fn setting(env: &Env, name: &str) -> Option<Value> {
    let value = js_sys::Reflect::get(env, &JsValue::from_str(name)).ok()?;
    if value.is_undefined() || value.is_null() {
        return None;
    }
    if let Some(text) = value.as_string() {
        return Some(Value::String(text));
    }
    let text: String = js_sys::JSON::stringify(&value).ok()?.into();
    serde_json::from_str(&text).ok()
}

pub(crate) fn load_config(env: &Env) -> Rc<Result<GateConfig, ConfigError>> {
    CONFIG.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                // Every name bound to the Worker (vars, secrets, bindings), so a misspelt
                // setting is refused instead of silently not applied.
                let names: Vec<String> = js_sys::Object::keys(env.unchecked_ref::<js_sys::Object>())
                    .iter()
                    .filter_map(|k| k.as_string())
                    .collect();
                let loaded =
                    config::load_checked(names.iter().map(String::as_str), |name| {
                        setting(env, name)
                    });
                // Once per isolate, as the configuration loads: a legacy Akamai MAC the
                // operator opted into (names the setting and the algorithm, never a key).
                if let Ok(c) = &loaded {
                    let algorithm = c.edge.akamai_algorithm;
                    if let Some(weakness) = algorithm.weakness() {
                        worker::console_warn!(
                            "{}",
                            serde_json::json!({"event": "config_warning", "setting": config::names::AKAMAI_ALGORITHM, "algorithm": algorithm.name(), "warning": weakness})
                        );
                    }
                }
                if let Err(e) = &loaded {
                    // Names the setting and the rule; config errors never carry values.
                    worker::console_error!(
                        "{}",
                        serde_json::json!({"event": "config_error", "setting": e.setting(), "error": e.to_string()})
                    );
                }
                Rc::new(loaded)
            })
            .clone()
    })
}
