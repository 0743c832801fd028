package web

// PublicPath is publicPath, for the tests.
var PublicPath = publicPath
