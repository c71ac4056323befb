//! Validation of Kubernetes resources against the OpenAPI schemas of their CRDs.
//!
//! The schemas come from the files in `test-harness/e2e/crd-schemas/`
//! (`istio-1.NN.json`, `prometheus-operator-vX.json`, `gateway-api-vX.json`,
//! `envoy-gateway-vX.json`), which `generate.py` there extracts from the CRD YAML
//! of each release. Those files copy the CRD schemas as written; this module adds
//! the meaning the Kubernetes API server gives them, so that a document accepted
//! here is one the API server would accept on create:
//!
//! - objects are closed: an object schema with `properties` rejects any other
//!   field, unless it says `x-kubernetes-preserve-unknown-fields: true` (the API
//!   server prunes unknown fields, or refuses them with strict field validation,
//!   which `kubectl` uses by default);
//! - `nullable: true` admits `null`; elsewhere `null` is refused (the API server
//!   would drop it, which in a file in git is almost always a mistake);
//! - `x-kubernetes-int-or-string: true` admits an integer or a string;
//! - the root admits `apiVersion`, `kind` and `metadata` (an `ObjectMeta`, closed,
//!   `labels` and `annotations` as string maps), which CRDs leave implicit;
//! - `x-kubernetes-list-type: set` and `map` make items, or their keys, unique;
//! - `default`s are filled in before anything is checked, as the API server
//!   defaults an object before it validates it: in the objects and list items a
//!   document has, never in a branch of `oneOf`/`anyOf`/`allOf`/`not` (where
//!   Kubernetes allows none). CEL rules read the defaulted fields (the Gateway
//!   API's rules read `kind` of a `backendRef` that defaults to `Service`);
//! - `x-kubernetes-validations` CEL rules are evaluated with `self` bound to the
//!   value at that schema node. Transition rules (those that read `oldSelf`) only
//!   apply to updates, and there is no old object here: they are skipped, and
//!   listed by [`CrdSchemas::rules`]. Every other rule is compiled when the schemas
//!   are loaded, and a rule that does not compile, or that calls a function the
//!   evaluator does not provide, makes loading fail.
//!
//! The CEL functions of the Kubernetes URL library that the Istio CRDs use
//! (`isURL`, `url`, `getScheme`) are provided here, following Go's
//! `url.ParseRequestURI`, which that library is built on. The one function of the
//! Kubernetes strings library that the Gateway API CRDs use, `split`, is CEL's
//! strings extension's, which has the same meaning (a string cut at every
//! occurrence of a separator).
//!
//! `format` is checked only for the formats JSON Schema draft 4 knows
//! (`date-time`, ...); the OpenAPI ones (`int32`, `int64`, `double`, `byte`) are
//! annotations here. `pattern` is matched with RE2 syntax, as Go does, through
//! CEL's `matches`. Errors of `oneOf`/`anyOf` are JSON Schema's own messages.
//!
//! Depends on `serde_json`, `jsonschema` and `cel` only.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Keyword, ValidationError, Validator};
use serde_json::{Map, Value, json};

/// The schemas of one release: every kind its files define, by `apiVersion` and
/// `kind`, ready to validate documents.
pub struct CrdSchemas {
    release: String,
    sources: Vec<String>,
    validators: BTreeMap<String, Validator>,
    /// The schemas as the files state them, for their defaults.
    stated: BTreeMap<String, Value>,
    rules: Vec<CelRule>,
}

/// One CEL rule of a CRD schema, and what this module does with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CelRule {
    /// `group/version/kind` of the schema the rule is in.
    pub kind: String,
    /// Where the rule is in that schema, as a path of property names (`/spec`,
    /// `/spec/servers/items/tls`, `.../additionalProperties` for map values).
    pub location: String,
    /// The CEL expression.
    pub rule: String,
    /// The message the API server gives when the rule fails.
    pub message: String,
    /// True for a transition rule (one that reads `oldSelf`), which is skipped.
    pub transition: bool,
}

impl CrdSchemas {
    /// Loads the schema files at `paths` (one release of Istio, say, plus the
    /// Prometheus Operator's). The release name is that of the first file.
    ///
    /// # Errors
    ///
    /// A file that cannot be read or parsed, a kind defined twice, a schema that
    /// does not compile, or a CEL rule that does not compile.
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Self, String> {
        let mut texts = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("{}: {err}", path.display()))?;
            texts.push(text);
        }
        Self::from_json_strs(&texts.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// Like [`CrdSchemas::load`], from the files' contents.
    ///
    /// # Errors
    ///
    /// As for [`CrdSchemas::load`].
    pub fn from_json_strs(texts: &[&str]) -> Result<Self, String> {
        let mut schemas = CrdSchemas {
            release: String::new(),
            sources: Vec::new(),
            validators: BTreeMap::new(),
            stated: BTreeMap::new(),
            rules: Vec::new(),
        };
        for text in texts {
            let file: Value =
                serde_json::from_str(text).map_err(|err| format!("schema file: {err}"))?;
            schemas.add_file(&file)?;
        }
        if schemas.validators.is_empty() {
            return Err("no schema loaded".to_owned());
        }
        Ok(schemas)
    }

    fn add_file(&mut self, file: &Value) -> Result<(), String> {
        let release = file
            .get("release")
            .and_then(Value::as_str)
            .ok_or("schema file: no \"release\"")?;
        let source = file
            .get("source")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{release}: no \"source\""))?;
        let stored = file
            .get("schemas")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{release}: no \"schemas\""))?;
        let empty = Map::new();
        let same_as = file
            .get("same_as")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        if self.release.is_empty() {
            release.clone_into(&mut self.release);
        }
        self.sources.push(source.to_owned());

        let mut keys: Vec<(&String, &Value)> = stored.iter().collect();
        for (key, target) in same_as {
            let target = target
                .as_str()
                .ok_or_else(|| format!("{release}: same_as {key} is not a string"))?;
            let schema = stored
                .get(target)
                .ok_or_else(|| format!("{release}: same_as {key}: no schema {target}"))?;
            keys.push((key, schema));
        }
        for (key, schema) in keys {
            if self.validators.contains_key(key) {
                return Err(format!("{release}: {key} is defined twice"));
            }
            let mut rules = Vec::new();
            let translated = translate(schema, key, "", Position::Root, &mut rules);
            let validator = jsonschema::options()
                .with_draft(Draft::Draft4)
                .with_keyword(CEL_KEYWORD, cel_keyword_factory)
                .with_keyword(LIST_KEYWORD, list_keyword_factory)
                .with_keyword(PATTERN_KEYWORD, pattern_keyword_factory)
                .build(&translated)
                .map_err(|err| format!("{release}: {key}: {err}"))?;
            self.validators.insert(key.clone(), validator);
            self.stated.insert(key.clone(), schema.clone());
            self.rules.extend(rules);
        }
        Ok(())
    }

    /// The release named by the first file loaded, e.g. `istio-1.22`.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// Where each loaded file's CRDs came from, as the files say.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Every `apiVersion/kind` known, e.g. `networking.istio.io/v1/Gateway`.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.validators.keys().map(String::as_str)
    }

    /// Every CEL rule of every loaded schema, transition rules included.
    pub fn rules(&self) -> &[CelRule] {
        &self.rules
    }

    /// Validates one parsed document (a whole resource, with `apiVersion` and
    /// `kind`) against the schema of its kind.
    ///
    /// # Errors
    ///
    /// Every problem found, one line each, as `<JSON pointer>: <message>`, the
    /// pointer `/` standing for the document itself.
    pub fn validate(&self, doc: &Value) -> Result<(), Vec<String>> {
        self.check(doc, Completeness::Whole)
    }

    /// Validates a part of a resource, as a kustomize patch holds one: as
    /// [`CrdSchemas::validate`], except that fields the schema requires may be
    /// missing (the resource the patch applies to has them).
    ///
    /// # Errors
    ///
    /// As for [`CrdSchemas::validate`].
    pub fn validate_patch(&self, doc: &Value) -> Result<(), Vec<String>> {
        self.check(doc, Completeness::Patch)
    }

    fn check(&self, doc: &Value, completeness: Completeness) -> Result<(), Vec<String>> {
        let api_version = doc.get("apiVersion").and_then(Value::as_str);
        let kind = doc.get("kind").and_then(Value::as_str);
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            return Err(vec![
                "/: a resource needs a string apiVersion and kind".to_owned(),
            ]);
        };
        let key = format!("{api_version}/{kind}");
        let Some(validator) = self.validators.get(&key) else {
            return Err(vec![format!(
                "/: no schema for apiVersion {api_version} kind {kind} in {}",
                self.release
            )]);
        };
        let mut defaulted = doc.clone();
        if let Some(schema) = self.stated.get(&key) {
            apply_defaults(schema, &mut defaulted);
        }
        let mut lines = Vec::new();
        for error in validator.iter_errors(&defaulted) {
            if completeness == Completeness::Patch
                && matches!(error.kind(), ValidationErrorKind::Required { .. })
            {
                continue;
            }
            let path = error.instance_path().to_string();
            if let ValidationErrorKind::AdditionalProperties { unexpected } = error.kind() {
                for field in unexpected {
                    lines.push(format!(
                        "{}/{}: unknown field \"{field}\"",
                        path,
                        field.replace('~', "~0").replace('/', "~1")
                    ));
                }
                continue;
            }
            let path = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            if let ValidationErrorKind::Enum { options } = error.kind() {
                // The whole list: JSON Schema's message names only two.
                lines.push(format!(
                    "{path}: {} is not one of {options}",
                    error.instance()
                ));
                continue;
            }
            lines.push(format!("{path}: {error}"));
        }
        if lines.is_empty() { Ok(()) } else { Err(lines) }
    }
}

/// Fills in every field that `schema` gives a `default` and `value` lacks, in the
/// objects (properties and map values) and list items `value` has, recursively,
/// as the API server defaults an object before it validates it. Branches of
/// `oneOf`, `anyOf`, `allOf` and `not` are not followed: Kubernetes allows no
/// default in them.
fn apply_defaults(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(object) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, sub) in properties.into_iter().flatten() {
                if !object.contains_key(name)
                    && let Some(default) = sub.get("default")
                {
                    object.insert(name.clone(), default.clone());
                }
                if let Some(child) = object.get_mut(name) {
                    apply_defaults(sub, child);
                }
            }
            if let Some(values) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                for (name, child) in object.iter_mut() {
                    if properties.is_none_or(|known| !known.contains_key(name)) {
                        apply_defaults(values, child);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for child in items {
                    apply_defaults(item, child);
                }
            }
        }
        _ => {}
    }
}

/// Whether a document is a whole resource or a patch of one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Completeness {
    /// A whole resource: every required field is there.
    Whole,
    /// A patch: required fields may be left to the resource it patches.
    Patch,
}

const CEL_KEYWORD: &str = "x-kubernetes-validations";
const LIST_KEYWORD: &str = "x-kubernetes-list-type";
/// `pattern`, renamed: Kubernetes matches patterns with Go's RE2 syntax (the
/// Prometheus Operator's CRD uses `(?i)`), which JSON Schema's ECMA 262 check of
/// `pattern` refuses. CEL's `matches` is RE2.
const PATTERN_KEYWORD: &str = "x-kubernetes-re2-pattern";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    /// The schema of the whole resource.
    Root,
    /// A schema that describes a value on its own.
    Value,
    /// A branch of `oneOf`, `anyOf`, `allOf` or `not`: it constrains a value that
    /// its parent describes, so it is never closed.
    Branch,
}

/// Turns a CRD schema into a JSON Schema (draft 4) with the Kubernetes meaning
/// described in the module's documentation. Collects the CEL rules met.
fn translate(
    node: &Value,
    kind: &str,
    location: &str,
    position: Position,
    rules: &mut Vec<CelRule>,
) -> Value {
    let Some(object) = node.as_object() else {
        return node.clone();
    };
    let mut out = Map::new();
    for (keyword, value) in object {
        match keyword.as_str() {
            "properties" => {
                let mut properties = Map::new();
                if let Some(map) = value.as_object() {
                    for (name, sub) in map {
                        let sub_location = format!("{location}/{name}");
                        properties.insert(
                            name.clone(),
                            translate(sub, kind, &sub_location, Position::Value, rules),
                        );
                    }
                }
                out.insert(keyword.clone(), Value::Object(properties));
            }
            "items" | "additionalProperties" if value.is_object() => {
                let sub_location = format!("{location}/{keyword}");
                out.insert(
                    keyword.clone(),
                    translate(value, kind, &sub_location, Position::Value, rules),
                );
            }
            "not" => {
                out.insert(
                    keyword.clone(),
                    translate(value, kind, location, Position::Branch, rules),
                );
            }
            "oneOf" | "anyOf" | "allOf" => {
                let branches = value
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .map(|sub| translate(sub, kind, location, Position::Branch, rules))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(keyword.clone(), Value::Array(branches));
            }
            CEL_KEYWORD => {
                let mut evaluated = Vec::new();
                for rule in value.as_array().into_iter().flatten() {
                    let (text, message) = rule_and_message(rule);
                    let transition = reads_old_self(text);
                    rules.push(CelRule {
                        kind: kind.to_owned(),
                        location: if location.is_empty() {
                            "/".to_owned()
                        } else {
                            location.to_owned()
                        },
                        rule: text.to_owned(),
                        message: message.to_owned(),
                        transition,
                    });
                    if !transition {
                        evaluated.push(rule.clone());
                    }
                }
                if !evaluated.is_empty() {
                    out.insert(keyword.clone(), Value::Array(evaluated));
                }
            }
            "pattern" => {
                out.insert(PATTERN_KEYWORD.to_owned(), value.clone());
            }
            // Applied below, with the type.
            "nullable" | "x-kubernetes-int-or-string" => {}
            _ => {
                out.insert(keyword.clone(), value.clone());
            }
        }
    }

    let preserve = object
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let nullable = object
        .get("nullable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let int_or_string = object
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        .unwrap_or(false);

    if int_or_string {
        out.remove("type");
        if !out.contains_key("anyOf") {
            out.insert(
                "anyOf".to_owned(),
                json!([{ "type": "integer" }, { "type": "string" }]),
            );
        }
    }

    if position == Position::Root {
        let properties = out
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(properties) = properties.as_object_mut() {
            properties.insert("apiVersion".to_owned(), json!({ "type": "string" }));
            properties.insert("kind".to_owned(), json!({ "type": "string" }));
            properties.insert("metadata".to_owned(), object_meta());
        }
    }

    if position != Position::Branch
        && out.contains_key("properties")
        && !preserve
        && !out.contains_key("additionalProperties")
    {
        out.insert("additionalProperties".to_owned(), Value::Bool(false));
    }

    if nullable {
        if int_or_string {
            if let Some(Value::Array(branches)) = out.get_mut("anyOf") {
                branches.push(json!({ "type": "null" }));
            }
        } else if let Some(Value::String(single)) = out.get("type") {
            let both = json!([single, "null"]);
            out.insert("type".to_owned(), both);
        }
        if let Some(Value::Array(values)) = out.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    } else if position != Position::Branch
        && !out.contains_key("type")
        && !out.contains_key("not")
        && !int_or_string
        && !preserve
    {
        // A schema without a type still refuses null unless it is nullable.
        out.insert("not".to_owned(), json!({ "type": "null" }));
    }
    Value::Object(out)
}

/// The fields of a Kubernetes `ObjectMeta` that a manifest may set.
fn object_meta() -> Value {
    let strings = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": { "type": "string" },
            "generateName": { "type": "string" },
            "namespace": { "type": "string" },
            "labels": strings,
            "annotations": strings,
            "finalizers": { "type": "array", "items": { "type": "string" } },
            "ownerReferences": { "type": "array", "items": { "type": "object" } },
            "uid": { "type": "string" },
            "resourceVersion": { "type": "string" },
            "generation": { "type": "integer" },
            "creationTimestamp": { "type": ["string", "null"] },
            "deletionTimestamp": { "type": ["string", "null"] },
            "deletionGracePeriodSeconds": { "type": "integer" },
            "managedFields": { "type": "array", "items": { "type": "object" } },
            "selfLink": { "type": "string" }
        }
    })
}

/// Whether a rule reads `oldSelf` (a transition rule). Falls back to a textual
/// check for a rule that does not parse; such a rule fails loading anyway.
fn reads_old_self(rule: &str) -> bool {
    match cel::Program::compile(rule) {
        Ok(program) => program.references().has_variable("oldSelf"),
        Err(_) => rule.contains("oldSelf"),
    }
}

/// The functions a rule may call: CEL's operators and standard functions that
/// the `cel` crate implements, and the Kubernetes library functions provided
/// here. `cel` resolves functions only when a rule runs, so a rule calling any
/// other function is refused at load time rather than failing later.
const KNOWN_FUNCTIONS: &[&str] = &[
    // standard
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "duration",
    "timestamp",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "type",
    "dyn",
    "has",
    "max",
    "min",
    // Kubernetes URL library
    "isURL",
    "url",
    "getScheme",
    // Kubernetes strings library, as CEL's strings extension provides it
    "split",
];

/// The environment every rule runs in: CEL's standard library and its strings
/// extension (for `split`; [`KNOWN_FUNCTIONS`] keeps a rule from calling the
/// extension's other functions).
fn cel_env() -> Result<Arc<cel::Env>, String> {
    let mut env = cel::Env::stdlib();
    env.add_extension(cel::extensions::strings)
        .map_err(|err| format!("CEL strings extension: {err}"))?;
    Ok(Arc::new(env))
}

struct CompiledRule {
    program: cel::Program,
    rule: String,
    message: String,
}

/// The `rule` and `message` of one `x-kubernetes-validations` entry.
fn rule_and_message(rule: &Value) -> (&str, &str) {
    let text = |key: &str| rule.get(key).and_then(Value::as_str).unwrap_or_default();
    (text("rule"), text("message"))
}

fn cel_keyword_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _location: jsonschema::paths::Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    let mut compiled = Vec::new();
    for rule in value.as_array().into_iter().flatten() {
        let (text, message) = rule_and_message(rule);
        let program = cel::Program::compile(text).map_err(|err| {
            ValidationError::schema(format!("CEL rule `{text}` does not compile: {err}"))
        })?;
        let references = program.references();
        for function in references.functions() {
            let operator =
                function.starts_with('_') || function.starts_with('@') || function == "!_";
            if !operator && !KNOWN_FUNCTIONS.contains(&function) {
                return Err(ValidationError::schema(format!(
                    "CEL rule `{text}` calls `{function}`, which the validator does not provide"
                )));
            }
        }
        compiled.push(CompiledRule {
            program,
            rule: text.to_owned(),
            message: message.to_owned(),
        });
    }
    let env = cel_env().map_err(ValidationError::schema)?;
    Ok(Box::new(CelRules {
        rules: compiled,
        env,
    }))
}

struct CelRules {
    rules: Vec<CompiledRule>,
    env: Arc<cel::Env>,
}

impl CelRules {
    fn failures(&self, instance: &Value) -> Vec<String> {
        let this = to_cel(instance);
        let mut failures = Vec::new();
        for compiled in &self.rules {
            let mut context = cel::Context::with_env(Arc::clone(&self.env));
            let registered = context
                .add_function("isURL", |s: Arc<String>| parse_request_uri(&s).is_some())
                .and_then(|()| {
                    context.add_function("url", |s: Arc<String>| -> cel::ResolveResult {
                        match parse_request_uri(&s) {
                            Some(_) => Ok(cel::Value::String(s)),
                            None => Err(cel::ExecutionError::function_error(
                                "url",
                                format!("URL parse error: {s}"),
                            )),
                        }
                    })
                })
                .and_then(|()| {
                    context.add_function(
                        "getScheme",
                        |cel::extractors::This(s): cel::extractors::This<Arc<String>>| {
                            parse_request_uri(&s).unwrap_or_default()
                        },
                    )
                });
            if let Err(err) = registered {
                failures.push(format!("CEL functions could not be registered: {err}"));
                return failures;
            }
            context.add_variable_from_value("self", this.clone());
            match compiled.program.execute(&context) {
                Ok(cel::Value::Bool(true)) => {}
                Ok(cel::Value::Bool(false)) => {
                    let mut line = compiled.message.clone();
                    if line.is_empty() {
                        line = "failed rule".to_owned();
                    }
                    let _ = write!(line, " (rule: {})", compiled.rule);
                    failures.push(line);
                }
                Ok(other) => failures.push(format!(
                    "CEL rule `{}` gave {other:?}, not a bool",
                    compiled.rule
                )),
                Err(err) => failures.push(format!(
                    "CEL rule `{}` could not be evaluated: {err}",
                    compiled.rule
                )),
            }
        }
        failures
    }
}

impl<'i> Keyword<'i> for CelRules {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        match self.failures(instance).into_iter().next() {
            None => Ok(()),
            Some(failure) => Err(ValidationError::custom(failure)),
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.failures(instance).is_empty()
    }

    fn iter_errors(
        &self,
        instance: &'i Value,
    ) -> Box<dyn Iterator<Item = ValidationError<'i>> + 'i> {
        let errors: Vec<ValidationError<'i>> = self
            .failures(instance)
            .into_iter()
            .map(ValidationError::custom)
            .collect();
        Box::new(errors.into_iter())
    }
}

fn to_cel(value: &Value) -> cel::Value {
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                cel::Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                cel::Value::UInt(u)
            } else {
                cel::Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => cel::Value::from(s.as_str()),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let map: HashMap<String, cel::Value> =
                map.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
            cel::Value::from(map)
        }
    }
}

/// The scheme of `s` if Go's `url.ParseRequestURI` accepts it (`""` for an
/// absolute path), `None` if it refuses it. Covers what that function checks:
/// no control characters, a well-formed scheme, an absolute URI or an absolute
/// path, and the host and port of an authority.
fn parse_request_uri(s: &str) -> Option<String> {
    if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let (scheme, rest) = split_scheme(s)?;
    let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
    if !rest.starts_with('/') {
        // An opaque URI (`mailto:x`) needs a scheme; a request URI without one
        // must be an absolute path.
        return if scheme.is_empty() {
            None
        } else {
            Some(scheme.to_ascii_lowercase())
        };
    }
    if !scheme.is_empty()
        && let Some(after) = rest.strip_prefix("//")
    {
        let authority = after.split('/').next().unwrap_or_default();
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        if !valid_host(host) {
            return None;
        }
    }
    Some(scheme.to_ascii_lowercase())
}

/// Splits `scheme:rest` the way Go's `getScheme` does; `None` for a URL that
/// starts with `:` (a missing scheme).
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    for (i, c) in s.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return None,
            ':' => return Some((s.get(..i)?, s.get(i + 1..)?)),
            _ => return Some(("", s)),
        }
    }
    Some(("", s))
}

fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[') {
        // An IPv6 literal, then an optional port.
        let Some((address, after)) = inner.split_once(']') else {
            return false;
        };
        return address
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.' || c == '%')
            && (after.is_empty()
                || after
                    .strip_prefix(':')
                    .is_some_and(|port| port.bytes().all(|b| b.is_ascii_digit())));
    }
    let (name, port) = host
        .rsplit_once(':')
        .map_or((host, None), |(n, p)| (n, Some(p)));
    if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%".contains(c))
}

fn pattern_keyword_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _location: jsonschema::paths::Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    let pattern = value
        .as_str()
        .ok_or_else(|| ValidationError::schema("pattern is not a string"))?
        .to_owned();
    let program = cel::Program::compile("self.matches(pattern)")
        .map_err(|err| ValidationError::schema(format!("pattern: {err}")))?;
    let keyword = Pattern { pattern, program };
    // Compiles the expression once, so that a bad one fails loading.
    keyword
        .matches("")
        .map_err(|err| ValidationError::schema(format!("pattern {:?}: {err}", keyword.pattern)))?;
    Ok(Box::new(keyword))
}

struct Pattern {
    pattern: String,
    program: cel::Program,
}

impl Pattern {
    fn matches(&self, text: &str) -> Result<bool, String> {
        let mut context = cel::Context::default();
        context.add_variable_from_value("self", text);
        context.add_variable_from_value("pattern", self.pattern.as_str());
        match self.program.execute(&context) {
            Ok(cel::Value::Bool(matched)) => Ok(matched),
            Ok(other) => Err(format!("gave {other:?}")),
            Err(err) => Err(err.to_string()),
        }
    }

    fn check(&self, instance: &Value) -> Result<(), String> {
        let Some(text) = instance.as_str() else {
            return Ok(());
        };
        match self.matches(text) {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!("{instance} does not match {:?}", self.pattern)),
            Err(err) => Err(format!("pattern {:?}: {err}", self.pattern)),
        }
    }
}

impl<'i> Keyword<'i> for Pattern {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        self.check(instance).map_err(ValidationError::custom)
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.check(instance).is_ok()
    }
}

fn list_keyword_factory<'a>(
    parent: &'a Map<String, Value>,
    value: &'a Value,
    _location: jsonschema::paths::Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    let keys = parent
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let list = match value.as_str() {
        Some("set") => ListType::Set,
        Some("map") => ListType::Map(keys),
        _ => ListType::Atomic,
    };
    Ok(Box::new(list))
}

enum ListType {
    Atomic,
    Set,
    Map(Vec<String>),
}

impl ListType {
    /// The first duplicate item, or map key, of `instance`, described.
    fn duplicate(&self, instance: &Value) -> Option<String> {
        let items = instance.as_array()?;
        let keyed: Vec<Value> = match self {
            ListType::Atomic => return None,
            ListType::Set => items.clone(),
            ListType::Map(keys) => items
                .iter()
                .map(|item| {
                    Value::Array(
                        keys.iter()
                            .map(|k| item.get(k).cloned().unwrap_or(Value::Null))
                            .collect(),
                    )
                })
                .collect(),
        };
        for (i, key) in keyed.iter().enumerate() {
            if keyed.iter().take(i).any(|earlier| earlier == key) {
                return Some(match self {
                    ListType::Map(names) => format!(
                        "item {i}: duplicate value of key {} {key}",
                        names.join(", ")
                    ),
                    _ => format!("item {i}: duplicate value {key}"),
                });
            }
        }
        None
    }
}

impl<'i> Keyword<'i> for ListType {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        match self.duplicate(instance) {
            None => Ok(()),
            Some(message) => Err(ValidationError::custom(message)),
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.duplicate(instance).is_none()
    }
}
