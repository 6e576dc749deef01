//! A readable summary of a component's imports and exports, from wasmtime's view of its type,
//! and the WIT packages (with versions) their names come from.

use std::collections::BTreeMap;

use serde::Serialize;
use wasmtime::Engine;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Component, Type};

/// One import or export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Its name, e.g. `storefront:order-messages/storage@0.1.0`.
    pub name: String,
    /// `instance`, `func`, `type`, `resource`, `component`, `module` or `core func`.
    pub kind: &'static str,
    /// Functions: of the instance, or the item itself when it is a function.
    pub functions: Vec<Function>,
}

/// A function with its signature rendered in WIT-like text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Function {
    /// The function's name.
    pub name: String,
    /// E.g. `func(actor: record{id, role, display-name}) -> result<u32, variant{…}>`.
    pub signature: String,
}

/// Imports and exports of a component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Description {
    /// What the component needs from its host.
    pub imports: Vec<Item>,
    /// What it provides.
    pub exports: Vec<Item>,
}

/// What a component says about itself: its name and the OCI annotations `wasm-tools metadata
/// add` (or the `wasm-metadata` crate) writes into its outermost component.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The component's name.
    pub name: Option<String>,
    /// Its version.
    pub version: Option<String>,
    /// What it does.
    pub description: Option<String>,
    /// Its license (SPDX expression).
    pub license: Option<String>,
    /// Where its source is.
    pub source: Option<String>,
    /// Where to learn more.
    pub homepage: Option<String>,
    /// The source revision it was built from.
    pub revision: Option<String>,
}

impl Metadata {
    /// The fields with their names, in display order.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 7] {
        [
            ("name", self.name.as_deref()),
            ("version", self.version.as_deref()),
            ("description", self.description.as_deref()),
            ("license", self.license.as_deref()),
            ("source", self.source.as_deref()),
            ("homepage", self.homepage.as_deref()),
            ("revision", self.revision.as_deref()),
        ]
    }
}

/// Reads the metadata of the component binary `bytes`.
pub fn metadata(bytes: &[u8]) -> anyhow::Result<Metadata> {
    let payload = wasm_metadata::Payload::from_binary(bytes)?;
    let m = payload.metadata();
    let text = |v: Option<&dyn std::fmt::Display>| v.map(ToString::to_string);
    Ok(Metadata {
        name: m.name.clone(),
        version: text(m.version.as_ref().map(|v| v as _)),
        description: text(m.description.as_ref().map(|v| v as _)),
        license: text(m.licenses.as_ref().map(|v| v as _)),
        source: text(m.source.as_ref().map(|v| v as _)),
        homepage: text(m.homepage.as_ref().map(|v| v as _)),
        revision: text(m.revision.as_ref().map(|v| v as _)),
    })
}

/// Describes `component`'s imports and exports.
pub fn describe(engine: &Engine, component: &Component) -> Description {
    let ty = component.component_type();
    let item = |(name, ext): (&str, wasmtime::component::types::ComponentExtern<'_>)| {
        describe_item(engine, name, &ext.ty)
    };
    Description {
        imports: ty.imports(engine).map(item).collect(),
        exports: ty.exports(engine).map(item).collect(),
    }
}

/// An interface name split into its parts: `storefront:order-messages/storage@0.1.0` is
/// package `storefront:order-messages`, interface `storage`, version `0.1.0`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InterfaceName {
    /// `namespace:package`.
    pub package: String,
    /// The interface within the package.
    pub interface: String,
    /// The package's version, when the name carries one.
    pub version: Option<String>,
}

/// Splits `namespace:package/interface[@version]`; `None` for a plain name (a function or an
/// unversioned kebab name without a package).
pub fn parse_interface_name(name: &str) -> Option<InterfaceName> {
    let (path, version) = match name.split_once('@') {
        Some((path, version)) if !version.is_empty() => (path, Some(version.to_owned())),
        Some(_) => return None,
        None => (name, None),
    };
    let (package, interface) = path.split_once('/')?;
    let (namespace, package_name) = package.split_once(':')?;
    if [namespace, package_name, interface]
        .iter()
        .any(|part| part.is_empty())
    {
        return None;
    }
    Some(InterfaceName {
        package: package.to_owned(),
        interface: interface.to_owned(),
        version,
    })
}

/// A WIT package (at one version) whose interfaces a component imports or exports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WitPackage {
    /// `namespace:package`.
    pub name: String,
    /// The version, if the names carry one.
    pub version: Option<String>,
    /// Interfaces of it the component imports.
    pub imports: Vec<String>,
    /// Interfaces of it the component exports.
    pub exports: Vec<String>,
}

impl WitPackage {
    /// `storefront:order-messages@0.1.0`.
    pub fn id(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{v}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The WIT packages of a component's imports and exports, packages it exports from first
/// (the component's own contract), then by name.
pub fn packages(description: &Description) -> Vec<WitPackage> {
    let mut by_id: BTreeMap<(String, Option<String>), WitPackage> = BTreeMap::new();
    let mut add = |items: &[Item], export: bool| {
        for item in items {
            let Some(parsed) = parse_interface_name(&item.name) else {
                continue;
            };
            let entry = by_id
                .entry((parsed.package.clone(), parsed.version.clone()))
                .or_insert_with(|| WitPackage {
                    name: parsed.package,
                    version: parsed.version,
                    imports: Vec::new(),
                    exports: Vec::new(),
                });
            if export {
                entry.exports.push(parsed.interface);
            } else {
                entry.imports.push(parsed.interface);
            }
        }
    };
    add(&description.imports, false);
    add(&description.exports, true);
    let mut packages: Vec<WitPackage> = by_id.into_values().collect();
    packages.sort_by_key(|p| p.exports.is_empty());
    packages
}

fn describe_item(engine: &Engine, name: &str, ty: &ComponentItem) -> Item {
    let (kind, functions) = match ty {
        ComponentItem::ComponentInstance(instance) => (
            "instance",
            instance
                .exports(engine)
                .filter_map(|(n, e)| match &e.ty {
                    ComponentItem::ComponentFunc(f) => Some(function(n, f)),
                    _ => None,
                })
                .collect(),
        ),
        ComponentItem::ComponentFunc(f) => ("func", vec![function(name, f)]),
        ComponentItem::CoreFunc(_) => ("core func", Vec::new()),
        ComponentItem::Module(_) => ("module", Vec::new()),
        ComponentItem::Component(_) => ("component", Vec::new()),
        ComponentItem::Type(_) => ("type", Vec::new()),
        ComponentItem::Resource(_) => ("resource", Vec::new()),
    };
    Item {
        name: name.to_owned(),
        kind,
        functions,
    }
}

fn function(name: &str, f: &ComponentFunc) -> Function {
    let params: Vec<String> = f
        .params()
        .map(|(n, t)| format!("{n}: {}", type_text(&t)))
        .collect();
    let results: Vec<String> = f.results().map(|t| type_text(&t)).collect();
    let mut signature = format!(
        "{}func({})",
        if f.async_() { "async " } else { "" },
        params.join(", ")
    );
    if !results.is_empty() {
        signature.push_str(" -> ");
        signature.push_str(&results.join(", "));
    }
    Function {
        name: name.to_owned(),
        signature,
    }
}

/// A compact rendering: composite types show their field or case names, not their full
/// structure, so signatures stay on one line.
pub fn type_text(ty: &Type) -> String {
    let names = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>().join(", ");
    match ty {
        Type::Bool => "bool".into(),
        Type::S8 => "s8".into(),
        Type::U8 => "u8".into(),
        Type::S16 => "s16".into(),
        Type::U16 => "u16".into(),
        Type::S32 => "s32".into(),
        Type::U32 => "u32".into(),
        Type::S64 => "s64".into(),
        Type::U64 => "u64".into(),
        Type::Float32 => "f32".into(),
        Type::Float64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::List(l) => format!("list<{}>", type_text(&l.ty())),
        Type::Option(o) => format!("option<{}>", type_text(&o.ty())),
        Type::Result(r) => match (r.ok(), r.err()) {
            (None, None) => "result".into(),
            (Some(ok), None) => format!("result<{}>", type_text(&ok)),
            (ok, Some(err)) => format!(
                "result<{}, {}>",
                ok.map_or_else(|| "_".into(), |t| type_text(&t)),
                type_text(&err)
            ),
        },
        Type::Tuple(t) => format!("tuple<{}>", names(&mut t.types().map(|t| type_text(&t)))),
        Type::Record(r) => format!(
            "record{{{}}}",
            names(&mut r.fields().map(|f| f.name.to_owned()))
        ),
        Type::Variant(v) => format!(
            "variant{{{}}}",
            names(&mut v.cases().map(|c| c.name.to_owned()))
        ),
        Type::Enum(e) => format!("enum{{{}}}", names(&mut e.names().map(str::to_owned))),
        Type::Flags(f) => format!("flags{{{}}}", names(&mut f.names().map(str::to_owned))),
        Type::Own(_) => "own<resource>".into(),
        Type::Borrow(_) => "borrow<resource>".into(),
        Type::Map(_) => "map".into(),
        Type::Future(_) => "future".into(),
        Type::Stream(_) => "stream".into(),
        Type::ErrorContext => "error-context".into(),
        Type::FixedLengthList(_) => "list<_, N>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str) -> Item {
        Item {
            name: name.into(),
            kind: "instance",
            functions: Vec::new(),
        }
    }

    #[test]
    fn interface_names_split_into_package_interface_and_version() {
        assert_eq!(
            parse_interface_name("storefront:order-messages/storage@0.1.0"),
            Some(InterfaceName {
                package: "storefront:order-messages".into(),
                interface: "storage".into(),
                version: Some("0.1.0".into()),
            })
        );
        assert_eq!(
            parse_interface_name("wasi:io/error").map(|n| (n.package, n.version)),
            Some(("wasi:io".into(), None))
        );
        for plain in ["run", "storage", "a:b", "a:b/c@", ":b/c", "a:/c"] {
            assert_eq!(parse_interface_name(plain), None, "{plain}");
        }
    }

    #[test]
    fn packages_group_interfaces_and_put_the_exported_package_first() {
        let description = Description {
            imports: vec![
                item("wasi:io/error@0.2.6"),
                item("storefront:order-messages/storage@0.1.0"),
                item("wasi:io/streams@0.2.6"),
                item("wasi:clocks/wall-clock@0.2.6"),
            ],
            exports: vec![item("storefront:order-messages/inbox@0.1.0")],
        };
        let packages = packages(&description);
        let ids: Vec<String> = packages.iter().map(WitPackage::id).collect();
        assert_eq!(
            ids,
            [
                "storefront:order-messages@0.1.0",
                "wasi:clocks@0.2.6",
                "wasi:io@0.2.6"
            ]
        );
        assert_eq!(packages[0].imports, ["storage"]);
        assert_eq!(packages[0].exports, ["inbox"]);
        assert_eq!(packages[2].imports, ["error", "streams"]);
    }
}
