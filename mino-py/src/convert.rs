//! Conversions at the edge: ids, enum names, and JSON-like values between Rust and Python.

use std::str::FromStr;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple, PyType};
use pyo3::IntoPyObjectExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::errors::{to_py_err, validation};

/// The serialised (snake_case) name of a unit enum value, e.g. `ExecutionMode::Test` → `test`.
pub fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Parses a snake_case name into an enum, with a validation error naming `field`.
pub fn parse_enum<T: DeserializeOwned>(
    py: Python<'_>,
    name: &str,
    field: &'static str,
) -> PyResult<T> {
    serde_json::from_value(Value::String(name.to_owned()))
        .map_err(|_| validation(py, format!("{name:?} is not a valid {field}"), field))
}

/// Enum values from one snake_case name or a list of names (`None`: none), with a validation
/// error naming `field`.
pub fn parse_enums<T: DeserializeOwned>(
    py: Python<'_>,
    arg: Option<&Bound<'_, PyAny>>,
    field: &'static str,
) -> PyResult<Vec<T>> {
    let Some(arg) = arg.filter(|a| !a.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(name) = arg.cast::<PyString>() {
        return Ok(vec![parse_enum(py, &name.to_cow()?, field)?]);
    }
    let mut out = Vec::new();
    for item in arg.try_iter()? {
        let name: String = item?.extract()?;
        out.push(parse_enum(py, &name, field)?);
    }
    Ok(out)
}

/// An id given as a string, a `uuid.UUID`, or an object with an `id` attribute (a project,
/// batch, job, execution…).
pub fn id_of<T>(arg: &Bound<'_, PyAny>) -> PyResult<T>
where
    T: FromStr<Err = mino::Error>,
{
    let py = arg.py();
    let text: String = if let Ok(text) = arg.cast::<PyString>() {
        text.to_cow()?.into_owned()
    } else if let Some(id) = arg.getattr_opt("id")? {
        if id.is_instance_of::<PyString>() {
            id.extract()?
        } else {
            return Err(PyTypeError::new_err(format!(
                "expected an id (str) or an object with a str `id`, got {}",
                arg.get_type().name()?
            )));
        }
    } else if is_uuid(arg)? {
        arg.str()?.to_cow()?.into_owned()
    } else {
        return Err(PyTypeError::new_err(format!(
            "expected an id (str) or an object with an `id`, got {}",
            arg.get_type().name()?
        )));
    };
    T::from_str(&text).map_err(|err| to_py_err(py, err))
}

static UUID_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Whether `obj` is a `uuid.UUID`.
fn is_uuid(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    let class = UUID_TYPE.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        Ok(py
            .import("uuid")?
            .getattr("UUID")?
            .cast_into::<PyType>()?
            .unbind())
    })?;
    obj.is_instance(class.bind(py))
}

/// [`id_of`] for an optional argument.
pub fn opt_id<T>(arg: Option<&Bound<'_, PyAny>>) -> PyResult<Option<T>>
where
    T: FromStr<Err = mino::Error>,
{
    match arg {
        Some(arg) if !arg.is_none() => id_of(arg).map(Some),
        _ => Ok(None),
    }
}

/// A list of ids (any iterable of what [`id_of`] accepts).
pub fn ids_of<T>(arg: &Bound<'_, PyAny>) -> PyResult<Vec<T>>
where
    T: FromStr<Err = mino::Error>,
{
    if arg.is_instance_of::<PyString>() {
        return Ok(vec![id_of(arg)?]);
    }
    let mut ids = Vec::new();
    for item in arg.try_iter()? {
        ids.push(id_of(&item?)?);
    }
    Ok(ids)
}

/// A JSON value that becomes plain Python objects (dict, list, str, int, float, bool, None).
#[derive(Debug, Clone, PartialEq)]
pub struct Json(pub Value);

impl<'py> IntoPyObject<'py> for &Json {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.0)
    }
}

impl<'py> IntoPyObject<'py> for Json {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.0)
    }
}

/// Converts a JSON value into plain Python objects.
pub fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_bound_py_any(py)?,
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)?
            } else if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)?
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?
            }
        }
        Value::String(s) => s.into_bound_py_any(py)?,
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, json_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// Converts plain Python objects (and MINO records, through their `to_dict()`) into JSON.
/// `datetime`, `date` and `uuid.UUID` values become their ISO / text forms.
pub fn py_to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(PyTypeError::new_err("integer out of range"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(serde_json::Number::from_f64(f.value())
            .map(Value::Number)
            .unwrap_or(Value::Null));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (key, value) in dict.iter() {
            let key = match key.cast::<PyString>() {
                Ok(k) => k.to_cow()?.into_owned(),
                Err(_) => key.str()?.to_cow()?.into_owned(),
            };
            map.insert(key, py_to_json(&value)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let mut map = serde_json::Map::new();
        for item in mapping.items()?.iter() {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            map.insert(key.str()?.to_cow()?.into_owned(), py_to_json(&value)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            items.push(py_to_json(&item?)?);
        }
        return Ok(Value::Array(items));
    }
    if obj.hasattr("to_dict")? {
        return py_to_json(&obj.call_method0("to_dict")?);
    }
    if obj.hasattr("isoformat")? {
        return Ok(Value::String(obj.call_method0("isoformat")?.extract()?));
    }
    if is_uuid(obj)? {
        return Ok(Value::String(obj.str()?.to_cow()?.into_owned()));
    }
    let type_name = obj.get_type().name()?.to_cow()?.into_owned();
    Err(PyTypeError::new_err(format!(
        "cannot convert a {type_name} to a JSON value"
    )))
}

/// Reads a Python value into a serde type through JSON; a mismatch is a validation error
/// naming `field`.
pub fn from_py<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, field: &'static str) -> PyResult<T> {
    let value = py_to_json(obj)?;
    serde_json::from_value(value)
        .map_err(|err| validation(obj.py(), format!("invalid {field}: {err}"), field))
}

/// Text values of a mapping (`{"country": "DE", "rank": 3}` → `{"country": "DE", "rank": "3"}`).
/// `None` becomes an empty string.
pub fn string_map(
    obj: &Bound<'_, PyAny>,
    field: &'static str,
) -> PyResult<indexmap::IndexMap<String, String>> {
    let mapping = obj.cast::<PyMapping>().map_err(|_| {
        validation(
            obj.py(),
            format!("{field} must be a dict of column to value"),
            field,
        )
    })?;
    let mut map = indexmap::IndexMap::new();
    for item in mapping.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let key = key.str()?.to_cow()?.into_owned();
        let text = if value.is_none() {
            String::new()
        } else {
            value.str()?.to_cow()?.into_owned()
        };
        map.insert(key, text);
    }
    Ok(map)
}
