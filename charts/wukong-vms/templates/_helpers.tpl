{{/*
wukong-vms.name is the chart name, for app.kubernetes.io/name.
*/}}
{{- define "wukong-vms.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
wukong-vms.chart is the chart name and version, for the helm.sh/chart label.
*/}}
{{- define "wukong-vms.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
wukong-vms.labels go on the WukongSet.
*/}}
{{- define "wukong-vms.labels" -}}
helm.sh/chart: {{ include "wukong-vms.chart" . }}
{{ include "wukong-vms.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
wukong-vms.selectorLabels identify the release; they never change across upgrades.
*/}}
{{- define "wukong-vms.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wukong-vms.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
wukong-vms.memberLabels go on every member (the WukongSet's template, or each Wukong), so that
`kubectl get wukongs -l app.kubernetes.io/instance=<release>` lists them in either mode. Only labels that
never change across upgrades: member labels reach the VM's template, where a change would ask for a restart,
and a plain Wukong's default anti-affinity selects VMs by all its labels.
*/}}
{{- define "wukong-vms.memberLabels" -}}
{{ include "wukong-vms.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
wukong-vms.setName is the WukongSet's name, and the Wukongs' prefix: .Values.name, else the release name.
*/}}
{{- define "wukong-vms.setName" -}}
{{- default .Release.Name .Values.name }}
{{- end }}

{{/*
wukong-vms.checkMode fails on a mode other than set or wukongs (values.schema.json says so too, but Helm can
skip schema validation).
*/}}
{{- define "wukong-vms.checkMode" -}}
{{- if not (has .Values.mode (list "set" "wukongs")) }}
{{- fail (printf "mode must be set or wukongs, not %q" .Values.mode) }}
{{- end }}
{{- end }}
