//! The tools offered to the model, and reading its calls into [`Action`]s.
//!
//! Every problem with a call comes back as a plain sentence for the model (the repair
//! message), so that one repair round can tell it exactly what was wrong.

use mino_core::model::{Extraction, FieldType, OutputField};
use serde_json::{json, Map, Value};

/// Which way to scroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Up,
    Down,
}

/// One thing the model asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// Open a URL (absolute, or relative to the current page).
    Navigate { url: String },
    /// Click a numbered element.
    Click { element: u32 },
    /// Replace the text of a numbered field; press Enter afterwards when `submit`.
    Type {
        element: u32,
        text: String,
        submit: bool,
    },
    /// Scroll the window by most of its height.
    Scroll { direction: Direction },
    /// The answer: one value (or none) per output field.
    Finish { fields: Extraction },
}

impl Action {
    /// A short description for logs, screenshot labels and loop detection; two actions with
    /// the same description do the same thing.
    pub fn describe(&self) -> String {
        match self {
            Action::Navigate { url } => format!("navigate({url})"),
            Action::Click { element } => format!("click([{element}])"),
            Action::Type {
                element,
                text,
                submit,
            } => format!(
                "type([{element}], {text:?}{})",
                if *submit { ", submit" } else { "" }
            ),
            Action::Scroll { direction } => format!(
                "scroll({})",
                match direction {
                    Direction::Up => "up",
                    Direction::Down => "down",
                }
            ),
            Action::Finish { .. } => "finish".to_owned(),
        }
    }
}

/// A parsed tool call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub action: Action,
    /// The model's short reason, when it gave one.
    pub reasoning: Option<String>,
}

fn type_word(field_type: FieldType) -> &'static str {
    match field_type {
        FieldType::Text => "text",
        FieldType::Number => "number",
        FieldType::Date => "date",
        FieldType::Url => "URL",
        FieldType::Email => "e-mail address",
        FieldType::Phone => "phone number",
        FieldType::Boolean => "yes/no",
        #[allow(unreachable_patterns)] // FieldType may grow
        _ => "value",
    }
}

/// `name (type): description` for the task message and the finish schema.
pub(crate) fn describe_field(field: &OutputField) -> String {
    let mut line = format!("{} ({})", field.name, type_word(field.field_type));
    if !field.description.trim().is_empty() {
        line.push_str(": ");
        line.push_str(field.description.trim());
    }
    line
}

fn reasoning_property() -> Value {
    json!({"type": "string", "description": "One short sentence: why this action."})
}

fn tool(name: &str, description: &str, properties: Value, required: &[&str]) -> Value {
    let mut properties = properties;
    if let Some(map) = properties.as_object_mut() {
        map.insert("reasoning".to_owned(), reasoning_property());
    }
    json!({
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            }
        }
    })
}

/// The tool definitions (OpenAI `tools` array), `finish` shaped after the output fields.
pub(crate) fn definitions(fields: &[OutputField]) -> Vec<Value> {
    let field_properties: Map<String, Value> = fields
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                json!({"type": ["string", "null"], "description": describe_field(f)}),
            )
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    vec![
        tool(
            "navigate",
            "Open a URL in the browser (absolute, or relative to the current page).",
            json!({"url": {"type": "string"}}),
            &["url"],
        ),
        tool(
            "click",
            "Click the interactive element with this number in the current page state.",
            json!({"element": {"type": "integer", "minimum": 1}}),
            &["element"],
        ),
        tool(
            "type",
            "Replace the text of the input element with this number; submit=true presses Enter afterwards.",
            json!({
                "element": {"type": "integer", "minimum": 1},
                "text": {"type": "string"},
                "submit": {"type": "boolean"}
            }),
            &["element", "text"],
        ),
        tool(
            "scroll",
            "Scroll the page up or down by most of the window height.",
            json!({"direction": {"type": "string", "enum": ["up", "down"]}}),
            &["direction"],
        ),
        tool(
            "finish",
            "Finish with the extracted values: every field as a string exactly as the page shows it, or null when the site does not show it.",
            json!({"fields": {
                "type": "object",
                "properties": field_properties,
                "required": names,
                "additionalProperties": false,
            }}),
            &["fields"],
        ),
    ]
}

/// Reads a tool call. `Err` is the repair message for the model.
pub(crate) fn parse_call(
    name: &str,
    arguments: &str,
    fields: &[OutputField],
) -> Result<Call, String> {
    let text = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    let args: Value = serde_json::from_str(text).map_err(|e| {
        format!("The arguments of {name} are not valid JSON ({e}). Send one JSON object, e.g. {{\"element\": 3}}.")
    })?;
    let Some(args) = args.as_object() else {
        return Err(format!(
            "The arguments of {name} must be a JSON object, not {}.",
            kind_of(&args)
        ));
    };
    let reasoning = args
        .get("reasoning")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let action = match name {
        "navigate" => Action::Navigate {
            url: string_arg(args, name, "url")?,
        },
        "click" => Action::Click {
            element: element_arg(args, name)?,
        },
        "type" => Action::Type {
            element: element_arg(args, name)?,
            text: string_arg(args, name, "text")?,
            submit: match args.get("submit") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(format!(
                        "type.submit must be true or false, not {}.",
                        kind_of(other)
                    ))
                }
            },
        },
        "scroll" => Action::Scroll {
            direction: match args.get("direction").and_then(Value::as_str) {
                Some("up") => Direction::Up,
                Some("down") => Direction::Down,
                _ => return Err("scroll.direction must be \"up\" or \"down\".".to_owned()),
            },
        },
        "finish" => Action::Finish {
            fields: finish_fields(args.get("fields"), fields)?,
        },
        other => {
            return Err(format!(
                "There is no tool {other:?}. Call one of navigate, click, type, scroll or finish."
            ))
        }
    };
    Ok(Call { action, reasoning })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn string_arg(args: &Map<String, Value>, tool: &str, key: &str) -> Result<String, String> {
    match args.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Err(format!("{tool} needs the argument {key:?} (a string).")),
        Some(other) => Err(format!(
            "{tool}.{key} must be a string, not {}.",
            kind_of(other)
        )),
    }
}

/// The element number: a positive integer (a string of digits is taken too, as some models
/// quote numbers).
fn element_arg(args: &Map<String, Value>, tool: &str) -> Result<u32, String> {
    let value = args.get("element");
    let number = match value {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().trim_matches(['[', ']']).parse().ok(),
        _ => None,
    };
    match number.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0) {
        Some(n) => Ok(n),
        None => Err(format!(
            "{tool}.element must be the number of an element listed in the page state (e.g. 3), not {}.",
            value.map_or("missing", kind_of)
        )),
    }
}

/// Checks the `fields` of a finish call against the output fields: every field present as a
/// string or null, no other keys. Blank strings count as null.
pub(crate) fn finish_fields(
    value: Option<&Value>,
    fields: &[OutputField],
) -> Result<Extraction, String> {
    let names = || {
        fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(Value::Object(given)) = value else {
        return Err(format!(
            "finish needs \"fields\": an object with the keys {} (each a string, or null when not found).",
            names()
        ));
    };
    let mut problems = Vec::new();
    let unknown: Vec<&str> = given
        .keys()
        .filter(|k| !fields.iter().any(|f| &f.name == *k))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        problems.push(format!(
            "unknown key(s) {}; the only keys are {}",
            unknown.join(", "),
            names()
        ));
    }
    let missing: Vec<&str> = fields
        .iter()
        .filter(|f| !given.contains_key(&f.name))
        .map(|f| f.name.as_str())
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "missing key(s) {} (use null for a value the site does not show)",
            missing.join(", ")
        ));
    }
    let mut values = Extraction::new();
    for field in fields {
        match given.get(&field.name) {
            Some(Value::String(s)) => {
                let s = s.trim();
                values.insert(field.name.clone(), (!s.is_empty()).then(|| s.to_owned()));
            }
            Some(Value::Null) | None => {
                values.insert(field.name.clone(), None);
            }
            Some(other) => problems.push(format!(
                "{} must be a string or null, not {} (write it as the page shows it, in quotes)",
                field.name,
                kind_of(other)
            )),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(format!(
            "finish.fields is invalid: {}.",
            problems.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<OutputField> {
        vec![OutputField::named("title"), OutputField::named("price")]
    }

    #[test]
    fn definitions_name_every_tool_and_field() {
        let tools = definitions(&fields());
        let names: Vec<&str> = tools
            .iter()
            .filter_map(|t| t.pointer("/function/name").and_then(Value::as_str))
            .collect();
        assert_eq!(names, ["navigate", "click", "type", "scroll", "finish"]);
        assert_eq!(
            tools[4].pointer("/function/parameters/properties/fields/required"),
            Some(&json!(["title", "price"]))
        );
    }

    #[test]
    fn calls_parse_into_actions() {
        let f = fields();
        let call =
            parse_call("click", r#"{"element": 3, "reasoning": "the link"}"#, &f).expect("click");
        assert_eq!(call.action, Action::Click { element: 3 });
        assert_eq!(call.reasoning.as_deref(), Some("the link"));
        assert_eq!(
            parse_call(
                "type",
                r#"{"element": "2", "text": "rust", "submit": true}"#,
                &f
            )
            .expect("type")
            .action
            .describe(),
            "type([2], \"rust\", submit)"
        );
        let finish = parse_call(
            "finish",
            r#"{"fields": {"title": " Book ", "price": ""}}"#,
            &f,
        )
        .expect("finish");
        let Action::Finish { fields: values } = finish.action else {
            panic!("not finish")
        };
        assert_eq!(values.get("title"), Some(&Some("Book".to_owned())));
        assert_eq!(values.get("price"), Some(&None));
    }

    #[test]
    fn problems_are_explained() {
        let f = fields();
        let err = parse_call("click", "{element: 3", &f).expect_err("bad json");
        assert!(err.contains("not valid JSON"), "{err}");
        let err = parse_call("click", r#"{"element": 0}"#, &f).expect_err("bad element");
        assert!(err.contains("click.element"), "{err}");
        let err = parse_call("jump", "{}", &f).expect_err("unknown tool");
        assert!(err.contains("no tool \"jump\""), "{err}");
        let err = parse_call("finish", r#"{"fields": {"title": 5, "colour": "red"}}"#, &f)
            .expect_err("bad fields");
        assert!(err.contains("unknown key(s) colour"), "{err}");
        assert!(err.contains("missing key(s) price"), "{err}");
        assert!(
            err.contains("title must be a string or null, not a number"),
            "{err}"
        );
        let err = parse_call("finish", r#"{"title": "x"}"#, &f).expect_err("no fields");
        assert!(err.contains("finish needs \"fields\""), "{err}");
    }
}
