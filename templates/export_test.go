package templates

// ReplaceMentions exposes the mention scanner to the black-box tests,
// which hold it to muster.ReplaceMentions.
var ReplaceMentions = replaceMentions
