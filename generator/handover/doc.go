// Package handover plans the steps that move a running CHT instance under
// the reconciler without recreating anything it holds; it prints them as a
// POSIX sh script or as data.
package handover
