//! The wire format of OpenAI-compatible chat completions with tool calls.
//!
//! Requests carry `model`, `messages`, `tools` (JSON-schema functions) and `tool_choice`; the
//! answer's first choice holds an assistant message with `content` and/or `tool_calls`, and
//! `usage` counts `prompt_tokens` and `completion_tokens`. Parsing is lenient where
//! compatible servers are known to differ: `arguments` may be a JSON string (the standard) or
//! an object, a tool call may lack its `id`, and `content` may be a list of text parts.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The request body of `POST /chat/completions`.
#[derive(Debug, Serialize)]
pub(crate) struct ChatRequest<'a> {
    pub model: &'a str,
    pub messages: &'a [Message],
    pub tools: &'a [Value],
    /// `auto`: servers that do not know `required` still accept it; an answer without a tool
    /// call is repaired like any other invalid answer.
    pub tool_choice: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
}

/// One message of the conversation, in the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Message {
    pub role: &'static str,
    /// Text; `null` for an assistant message that only calls tools.
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A system message.
    pub fn system(text: impl Into<String>) -> Self {
        Self::text("system", text)
    }

    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::text("user", text)
    }

    /// The answer to the tool call `id`.
    pub fn tool(id: &str, text: impl Into<String>) -> Self {
        Message {
            tool_call_id: Some(id.to_owned()),
            ..Self::text("tool", text)
        }
    }

    /// The assistant's message as it came, so the model sees its own calls.
    pub fn assistant(content: Option<String>, tool_calls: Vec<ToolCall>) -> Self {
        Message {
            role: "assistant",
            content,
            tool_calls,
            tool_call_id: None,
        }
    }

    fn text(role: &'static str, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Some(text.into()),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// A tool call of the assistant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ToolCall {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
}

fn function_type() -> String {
    "function".to_owned()
}

/// The function a tool call names, with its arguments as a JSON text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FunctionCall {
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "arguments_text")]
    pub arguments: String,
}

/// Arguments as the JSON text the standard sends, or an object some servers send instead.
fn arguments_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(text) => text,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// The answer of `POST /chat/completions`.
#[derive(Debug, Deserialize)]
pub(crate) struct ChatResponse {
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<ApiUsage>,
}

/// One choice; only the first is used.
#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    pub message: AssistantMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The assistant's message in an answer.
#[derive(Debug, Deserialize)]
pub(crate) struct AssistantMessage {
    #[serde(default)]
    pub content: Value,
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

impl AssistantMessage {
    /// The text content: a string, or the text parts of a list joined.
    pub fn text(&self) -> Option<String> {
        let text = match &self.content {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        };
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }
}

/// Token counts of one answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct ApiUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_parse_leniently() {
        let answer: ChatResponse = serde_json::from_value(json!({
            "id": "x", "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "click", "arguments": "{\"element\": 3}"}},
                    {"function": {"name": "scroll", "arguments": {"direction": "down"}}}
                ]}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
        }))
        .expect("parse");
        let message = &answer.choices[0].message;
        assert_eq!(message.text(), None);
        let calls = message.tool_calls.as_ref().expect("calls");
        assert_eq!(calls[0].function.arguments, "{\"element\": 3}");
        assert_eq!(calls[1].function.arguments, "{\"direction\":\"down\"}");
        assert_eq!(calls[1].kind, "function");
        assert_eq!(answer.usage.map(|u| u.prompt_tokens), Some(12));
        let parts: AssistantMessage =
            serde_json::from_value(json!({"content": [{"type": "text", "text": "hi"}]}))
                .expect("parts");
        assert_eq!(parts.text().as_deref(), Some("hi"));
    }

    #[test]
    fn requests_follow_the_wire_format() {
        let messages = [
            Message::system("s"),
            Message::assistant(
                None,
                vec![ToolCall {
                    id: "c1".into(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: "click".into(),
                        arguments: "{}".into(),
                    },
                }],
            ),
            Message::tool("c1", "done"),
        ];
        let body = serde_json::to_value(ChatRequest {
            model: "m",
            messages: &messages,
            tools: &[],
            tool_choice: "auto",
            temperature: None,
        })
        .expect("json");
        assert_eq!(
            body,
            json!({"model": "m", "tools": [], "tool_choice": "auto", "messages": [
                {"role": "system", "content": "s"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "click", "arguments": "{}"}}]},
                {"role": "tool", "content": "done", "tool_call_id": "c1"}
            ]})
        );
    }
}
