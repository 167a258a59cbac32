//! wip
#[cfg(test)]
mod proto {
    use cel::{Context, Program, Value, ExecutionError};
    use std::sync::Arc;
    #[test]
    fn proto() {
        let data = Arc::new(vec![1i64, 2, 3]);
        let mut ctx = Context::default();
        let d = data.clone();
        ctx.add_function("things", move || -> Value { Value::List(Arc::new(d.iter().map(|i| Value::Int(*i)).collect())) }).unwrap();
        ctx.add_function("twice", |v: Value| -> Result<Value, ExecutionError> { match v { Value::Int(i) => Ok(Value::Int(i*2)), _ => Err(ExecutionError::function_error("twice", "not int")) } }).unwrap();
        let mut m = std::collections::HashMap::new();
        m.insert("name".to_string(), Value::from("x"));
        let mut inner = ctx.new_inner_scope();
        inner.add_variable_from_value("object", Value::Map(m.into()));
        inner.add_variable_from_value("now", Value::Timestamp(chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap()));
        for src in ["things().map(x, twice(x))", "has(object.name) && !has(object.spec)", "object.name + 'y'", "now - timestamp('2024-12-31T00:00:00Z') < duration('26h')", "'1.30.2'.split('.')[1]", "[1,2].exists(x, x == 2) ? 'a' : true", "object.?spec.orValue(5)", "int('12')"] {
            let p = Program::compile(src).unwrap();
            println!("{src} => {:?}", p.execute(&inner));
        }
    }
}
