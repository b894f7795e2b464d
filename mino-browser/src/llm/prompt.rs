//! The fixed instructions of the `llm` agent and the task message of one job.

use std::fmt::Write as _;

use mino_core::agent::AgentTask;

use super::tools::describe_field;

/// What the model is and how it must answer.
pub(crate) const SYSTEM: &str = "You are a web agent that extracts data from websites. \
You control a real browser through tools. After every action you receive the current page: \
its URL, title, scroll position, its interactive elements numbered [1], [2], … and its \
visible text.\n\
Rules:\n\
- Call exactly one tool per reply: navigate, click, type, scroll, or finish.\n\
- Refer to elements only by the numbers of the latest page state; numbers change between pages.\n\
- Give a short reason in the `reasoning` argument.\n\
- Copy values exactly as the page shows them. Never guess or invent a value: use null when the \
site does not show it.\n\
- Call finish as soon as you have every value you can find, with every field.";

/// The task of one job: instructions, the start URL, the row's inputs and the fields.
pub(crate) fn task_message(task: &AgentTask) -> String {
    let mut out = String::from("Task instructions:\n");
    out.push_str(task.instructions.trim());
    let _ = write!(out, "\n\nStart URL: {}\n", task.site_url.trim());
    if !task.inputs.is_empty() {
        out.push_str("\nInputs of this row:\n");
        for (name, value) in &task.inputs {
            let _ = writeln!(out, "- {name}: {value}");
        }
    }
    out.push_str("\nFields to extract (finish with all of them; null when not found):\n");
    for field in &task.output_fields {
        let _ = writeln!(out, "- {}", describe_field(field));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mino_core::model::{FieldType, OutputField};

    #[test]
    fn task_message_lists_inputs_and_typed_fields() {
        let mut price = OutputField::named("price");
        price.field_type = FieldType::Number;
        price.description = "The list price".into();
        let mut task = AgentTask {
            instructions: " Find the book. ".into(),
            site_url: "http://shop.test/".into(),
            inputs: Default::default(),
            output_fields: vec![OutputField::named("title"), price],
        };
        task.inputs.insert("isbn".to_owned(), "978-1".to_owned());
        let text = task_message(&task);
        assert!(text.starts_with("Task instructions:\nFind the book.\n"));
        assert!(text.contains("Start URL: http://shop.test/\n"));
        assert!(text.contains("- isbn: 978-1\n"));
        assert!(text.contains("- title (text)\n- price (number): The list price\n"));
    }
}
