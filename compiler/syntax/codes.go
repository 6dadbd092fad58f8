package syntax

// Code is a stable diagnostic code. Codes never change meaning once
// released; docs/diagnostics.md documents each one. Grammar and structure
// problems (the "syntax" class) have codes distinct from semantic ones.
type Code string

// Syntax-class codes: the input cannot be read as a rule file or a
// condition.
const (
	CodeYAMLSyntax      Code = "yaml-syntax"      // the YAML itself does not parse
	CodeYAMLStructure   Code = "yaml-structure"   // wrong shape: not a sequence of maps, wrong value kind
	CodeConditionSyntax Code = "condition-syntax" // a condition does not parse
	CodeOutputSyntax    Code = "output-syntax"    // an output format string does not parse
)

// Semantic error codes.
const (
	CodeMissingKey      Code = "missing-key"      // a required key is missing or empty
	CodeBadValue        Code = "bad-value"        // a scalar cannot be decoded (number, bool, priority)
	CodeInvalidPriority Code = "invalid-priority" // priority is not one of Falco's names
	CodeEngineVersion   Code = "engine-version"   // required_engine_version is malformed or not satisfied
	CodePluginVersion   Code = "plugin-version"   // required_plugin_versions is malformed
	CodeAppendTarget    Code = "append-target"    // append/override/enable of an item that does not exist
	CodeOverride        Code = "override"         // an override block is inconsistent with the item
	CodeRedefinedSource Code = "redefined-source" // a rule re-defined or extended with another source
	CodeException       Code = "exception"        // a malformed exception
	CodeUndefinedMacro  Code = "undefined-macro"  // a macro reference that resolves to nothing
	CodeMacroLoop       Code = "macro-loop"       // macros that refer to each other in a cycle
	CodeUnknownField    Code = "unknown-field"    // a field the catalog does not have
	CodeUnknownEvtType  Code = "unknown-evttype"  // an evt.type value that is no event or syscall
	CodeFieldArgument   Code = "field-argument"   // a missing, extra or malformed field argument
	CodeOperatorType    Code = "operator-type"    // an operator the field's type does not support
	CodeFilterValue     Code = "filter-value"     // a right-hand value the field cannot take
	CodeOutputField     Code = "output-field"     // an output field that does not compile
	CodeTransformer     Code = "transformer"      // a transformer used wrongly
	CodeFieldComparison Code = "field-comparison" // an invalid field-to-field comparison
	CodeEvtTypeSearch   Code = "evttype-search"   // evt.type compared with a right-hand field
	CodeFileRead        Code = "file-read"        // a rule file cannot be read
)

// Warning codes.
const (
	CodeUnknownKey         Code = "unknown-key"         // a key the item kind does not know
	CodeUnknownItem        Code = "unknown-item"        // a top-level item of no known kind
	CodeUnknownSource      Code = "unknown-source"      // a rule for an event source that is not loaded
	CodeUnknownFilter      Code = "unknown-filter"      // a rule dropped by skip-if-unknown-filter
	CodeTooManyEvtTypes    Code = "too-many-evttypes"   // a rule not restricted to few event types
	CodeUnusedMacro        Code = "unused-macro"        // a macro no rule or macro uses
	CodeUnusedList         Code = "unused-list"         // a list no rule, macro or list uses
	CodeDeprecated         Code = "deprecated"          // a deprecated key, form or field
	CodeUnsafeNACheck      Code = "unsafe-na-check"     // a comparison against <NA> on a plugin field
	CodeInvalidMacroName   Code = "invalid-macro-name"  // a macro name no condition can reference
	CodeInvalidListName    Code = "invalid-list-name"   // a list name substitution cannot find
	CodeExceptionNoValues  Code = "exception-no-values" // an appended or overridden exception without values
	CodeExceptionDuplicate Code = "exception-duplicate" // two exceptions of one rule share a name
	CodeConditionLint      Code = "condition-lint"      // a condition that compiles but is likely wrong
	CodeSchema             Code = "schema"              // the item does not follow Falco's JSON schema
)

// Semantic error codes added later.
const (
	CodeConditionSize Code = "condition-size" // a condition too large once macros are inlined
)

// falcoCodes maps each code to Falco's load-result code, so that users and
// tools that know Falco's codes can relate the two.
var falcoCodes = map[Code]string{
	CodeYAMLSyntax:         "LOAD_ERR_YAML_PARSE",
	CodeYAMLStructure:      "LOAD_ERR_YAML_VALIDATE",
	CodeConditionSyntax:    "LOAD_ERR_COMPILE_CONDITION",
	CodeOutputSyntax:       "LOAD_ERR_COMPILE_OUTPUT",
	CodeMissingKey:         "LOAD_ERR_YAML_VALIDATE",
	CodeBadValue:           "LOAD_ERR_YAML_VALIDATE",
	CodeInvalidPriority:    "LOAD_ERR_YAML_VALIDATE",
	CodeEngineVersion:      "LOAD_ERR_VALIDATE",
	CodePluginVersion:      "LOAD_ERR_VALIDATE",
	CodeAppendTarget:       "LOAD_ERR_VALIDATE",
	CodeOverride:           "LOAD_ERR_VALIDATE",
	CodeRedefinedSource:    "LOAD_ERR_VALIDATE",
	CodeException:          "LOAD_ERR_VALIDATE",
	CodeUndefinedMacro:     "LOAD_ERR_VALIDATE",
	CodeMacroLoop:          "LOAD_ERR_VALIDATE",
	CodeUnknownField:       "LOAD_ERR_COMPILE_CONDITION",
	CodeUnknownEvtType:     "LOAD_ERR_COMPILE_CONDITION",
	CodeFieldArgument:      "LOAD_ERR_COMPILE_CONDITION",
	CodeOperatorType:       "LOAD_ERR_COMPILE_CONDITION",
	CodeFilterValue:        "LOAD_ERR_COMPILE_CONDITION",
	CodeOutputField:        "LOAD_ERR_COMPILE_OUTPUT",
	CodeTransformer:        "LOAD_ERR_COMPILE_CONDITION",
	CodeFieldComparison:    "LOAD_ERR_COMPILE_CONDITION",
	CodeEvtTypeSearch:      "LOAD_ERR_COMPILE_CONDITION",
	CodeFileRead:           "LOAD_ERR_FILE_READ",
	CodeUnknownKey:         "LOAD_UNKNOWN_KEY",
	CodeUnknownItem:        "LOAD_UNKNOWN_ITEM",
	CodeUnknownSource:      "LOAD_UNKNOWN_SOURCE",
	CodeUnknownFilter:      "LOAD_UNKNOWN_FILTER",
	CodeTooManyEvtTypes:    "LOAD_NO_EVTTYPE",
	CodeUnusedMacro:        "LOAD_UNUSED_MACRO",
	CodeUnusedList:         "LOAD_UNUSED_LIST",
	CodeDeprecated:         "LOAD_DEPRECATED_ITEM",
	CodeUnsafeNACheck:      "LOAD_UNSAFE_NA_CHECK",
	CodeInvalidMacroName:   "LOAD_INVALID_MACRO_NAME",
	CodeInvalidListName:    "LOAD_INVALID_LIST_NAME",
	CodeExceptionNoValues:  "LOAD_APPEND_NO_VALUES",
	CodeExceptionDuplicate: "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
	CodeConditionLint:      "LOAD_COMPILE_CONDITION",
	CodeSchema:             "LOAD_SCHEMA",
	CodeConditionSize:      "LOAD_ERR_COMPILE_CONDITION",
}

// Falco returns Falco's load-result code for c (for example
// "LOAD_ERR_VALIDATE"), or "" for a code Falco has no equivalent of.
func (c Code) Falco() string { return falcoCodes[c] }

// Codes returns every defined code, in a stable order.
func Codes() []Code {
	out := make([]Code, 0, len(falcoCodes))
	for c := range falcoCodes {
		out = append(out, c)
	}
	sortCodes(out)
	return out
}

func sortCodes(cs []Code) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j] < cs[j-1]; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}
