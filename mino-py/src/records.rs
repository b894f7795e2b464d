//! Result objects: frozen Python classes with one read-only attribute per field, `to_dict()`
//! and a readable `repr()`, declared once with [`record!`].

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

/// Declares a record class: a frozen `#[pyclass]` in module `mino` whose fields are all
/// readable attributes, with `to_dict()` and `__repr__`.
macro_rules! record {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[pyo3::pyclass(frozen, get_all, module = "mino")]
        #[derive(Debug, Clone)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        #[pyo3::pymethods]
        impl $name {
            /// The record as a plain ``dict``; nested records become dicts too.
            fn to_dict<'py>(
                slf: &pyo3::Bound<'py, Self>,
            ) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::types::PyDict>> {
                $crate::records::to_dict(slf.as_any(), &[$(stringify!($field)),*])
            }

            fn __repr__(slf: &pyo3::Bound<'_, Self>) -> pyo3::PyResult<String> {
                $crate::records::repr(slf.as_any(), stringify!($name), &[$(stringify!($field)),*])
            }
        }
    };
}

pub(crate) use record;

/// The Python attribute name of a Rust field name (`r#type` → `type`).
fn attribute(field: &str) -> &str {
    field.strip_prefix("r#").unwrap_or(field)
}

/// `{field: value}` with nested records and lists of records turned into dicts.
pub fn to_dict<'py>(obj: &Bound<'py, PyAny>, fields: &[&str]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(obj.py());
    for field in fields {
        let name = attribute(field);
        dict.set_item(name, plain(&obj.getattr(name)?)?)?;
    }
    Ok(dict)
}

/// A value with every record inside it replaced by its dict.
fn plain<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = value.py();
    if let Ok(list) = value.cast::<PyList>() {
        let out = PyList::empty(py);
        for item in list.iter() {
            out.append(plain(&item)?)?;
        }
        return Ok(out.into_any());
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let out = PyDict::new(py);
        for (key, item) in dict.iter() {
            out.set_item(key, plain(&item)?)?;
        }
        return Ok(out.into_any());
    }
    if value.is_instance_of::<PyString>() {
        return Ok(value.clone());
    }
    if value.hasattr("to_dict")? {
        return value.call_method0("to_dict");
    }
    Ok(value.clone())
}

/// `Name(field=value, …)` over the scalar fields (lists, dicts and nested records are left
/// out to keep it to one readable line).
pub fn repr(obj: &Bound<'_, PyAny>, class: &str, fields: &[&str]) -> PyResult<String> {
    let mut parts = Vec::new();
    for field in fields {
        let name = attribute(field);
        let value = obj.getattr(name)?;
        let nested = value.is_instance_of::<PyList>()
            || value.is_instance_of::<PyDict>()
            || (!value.is_instance_of::<PyString>() && value.hasattr("to_dict")?);
        if !nested {
            parts.push(format!("{name}={}", value.repr()?.to_cow()?));
        }
    }
    Ok(format!("{class}({})", parts.join(", ")))
}
