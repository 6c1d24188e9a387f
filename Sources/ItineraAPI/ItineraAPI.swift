// This module holds the code swift-openapi-generator makes from openapi.yaml at build time:
// the API types and the server protocol that Itinera implements.
