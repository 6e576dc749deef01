//! A readable summary of a component's imports and exports, from wasmtime's view of its type.

use wasmtime::Engine;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Component, Type};

/// One import or export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Its name, e.g. `storefront:order-messages/storage@0.1.0`.
    pub name: String,
    /// `instance`, `func`, `type`, `resource`, `component`, `module` or `core func`.
    pub kind: &'static str,
    /// Functions: of the instance, or the item itself when it is a function.
    pub functions: Vec<Function>,
}

/// A function with its signature rendered in WIT-like text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// The function's name.
    pub name: String,
    /// E.g. `func(actor: record{id, role, display-name}) -> result<u32, variant{…}>`.
    pub signature: String,
}

/// Imports and exports of a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// What the component needs from its host.
    pub imports: Vec<Item>,
    /// What it provides.
    pub exports: Vec<Item>,
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
