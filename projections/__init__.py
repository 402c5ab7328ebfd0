"""Read models: events in, their own tables out, plus the query functions over them."""
