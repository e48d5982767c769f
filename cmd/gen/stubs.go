package main

import "github.com/spf13/cobra"

func newRenderCmd(s *shared) *cobra.Command  { return &cobra.Command{Use: "render", Hidden: true} }
func newSecretsCmd(s *shared) *cobra.Command { return &cobra.Command{Use: "secrets", Hidden: true} }
func newSchemaCmd(s *shared) *cobra.Command  { return &cobra.Command{Use: "schema", Hidden: true} }
