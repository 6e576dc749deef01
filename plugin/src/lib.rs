#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ world: "addon", path: "../wit/v0.1.0" });
}
